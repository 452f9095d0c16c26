/**
 * Registers the built-in envs: 'ShapeWorld-v0' (kwargs: variant, stepCost, goalReward,
 * hazardReward, seed; 50-step TimeLimit) and 'CartPole-v1' (500-step TimeLimit). Importing this
 * module registers them once; `registerBuiltinEnvs()` is idempotent.
 */
import { CartPoleEnv } from './classic/cartpole.ts';
import { register, registeredIds } from './core/registry.ts';
import { DEFAULT_MAX_EPISODE_STEPS, ShapeWorldEnv, type ShapeWorldOptions } from './shapeworld/world.ts';

export function registerBuiltinEnvs(): void {
  const have = new Set(registeredIds());
  if (!have.has('ShapeWorld-v0')) {
    register({
      id: 'ShapeWorld-v0',
      entryPoint: (kwargs) => new ShapeWorldEnv(kwargs as ShapeWorldOptions),
      maxEpisodeSteps: DEFAULT_MAX_EPISODE_STEPS,
      kwargs: { variant: 'source' },
      description: '64×64 RGB grid world: reach the goal shape, avoid the hazard shape; Discrete(5); kwargs.variant picks the variant',
    });
  }
  if (!have.has('CartPole-v1')) {
    register({
      id: 'CartPole-v1',
      entryPoint: (kwargs) => new CartPoleEnv(kwargs as { seed?: number }),
      maxEpisodeSteps: 500,
      description: "Gymnasium's classic cart-pole: Box float32[4], Discrete(2), reward 1 per step",
    });
  }
}

registerBuiltinEnvs();

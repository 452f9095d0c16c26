/**
 * darla-ts environments, the library entry: the Gymnasium-style API (spaces, Env, wrappers,
 * registry, vector env, env checker), the shape world and CartPole. Importing it registers the
 * built-in envs ('ShapeWorld-v0', 'CartPole-v1').
 */
export * from './core/env.ts';
export * from './core/space.ts';
export * from './core/spaces/index.ts';
export * from './core/wrappers/index.ts';
export * from './core/registry.ts';
export * from './core/vector-env.ts';
export * from './core/sync-vector-env.ts';
export * from './core/check-env.ts';
export * from './core/ground-truth.ts';
export { Rng, mixSeed, type RngState } from './core/rng.ts';
export { UserError } from './core/errors.ts';
export { CartPoleEnv } from './classic/cartpole.ts';
export * from './shapeworld/index.ts';
export { ShapeWorldDataset, framesToTfDataset, toFloatFrame, type FactorSample, type TfDatasetOptions } from './shapeworld/factor-dataset.ts';
export { runWorldDemo, type WorldDemoOptions, type WorldDemoResult } from './shapeworld/demo.ts';
export { parseVariantArg } from './shapeworld/variant-arg.ts';
export { registerBuiltinEnvs } from './builtin.ts';

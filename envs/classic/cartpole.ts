/**
 * CartPole-v1, ported from Gymnasium's classic control (gymnasium/envs/classic_control/cartpole.py):
 * the same constants, Euler integration, termination thresholds (|x| > 2.4, |θ| > 12°), reward 1 per
 * step including the terminating one, uniform(−0.05, 0.05) initial state. Registered with a
 * 500-step TimeLimit. The state is integrated in float64 and observed as Float32Array[4].
 * `render()` draws a 64×64 frame (track, cart, pole). The PPO helper uses it as a sanity anchor.
 */
import { Env, type ResetArgs, type ResetResult, type RgbFrame, type StepResult } from '../core/env.ts';
import { UserError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import { Box } from '../core/spaces/box.ts';
import { Discrete } from '../core/spaces/discrete.ts';

const GRAVITY = 9.8;
const MASS_CART = 1.0;
const MASS_POLE = 0.1;
const TOTAL_MASS = MASS_POLE + MASS_CART;
/** Half the pole's length. */
const LENGTH = 0.5;
const POLE_MASS_LENGTH = MASS_POLE * LENGTH;
const FORCE_MAG = 10.0;
const TAU = 0.02;
export const THETA_THRESHOLD_RADIANS = (12 * 2 * Math.PI) / 360;
export const X_THRESHOLD = 2.4;
const FLOAT32_MAX = 3.4028234663852886e38;
const FRAME = 64;

export class CartPoleEnv extends Env<Float32Array, number> {
  override readonly metadata = { renderModes: ['rgb_array'] as const, renderFps: 50 };
  readonly observationSpace = new Box(
    [-X_THRESHOLD * 2, -FLOAT32_MAX, -THETA_THRESHOLD_RADIANS * 2, -FLOAT32_MAX],
    [X_THRESHOLD * 2, FLOAT32_MAX, THETA_THRESHOLD_RADIANS * 2, FLOAT32_MAX],
    [4],
    'float32',
  );
  readonly actionSpace = new Discrete(2);
  /** x, x_dot, theta, theta_dot (float64). */
  readonly state = new Float64Array(4);
  private readonly rng: Rng;
  private started = false;
  private done = false;

  constructor(options: { seed?: number } = {}) {
    super();
    this.rng = new Rng(options.seed ?? 0);
  }

  reset(args: ResetArgs = {}): ResetResult<Float32Array> {
    if (args.seed !== undefined) this.rng.reseed(args.seed);
    const low = readBound(args.options, 'low', -0.05);
    const high = readBound(args.options, 'high', 0.05);
    if (!(low < high)) throw new UserError(`CartPole reset options: low (${low}) must be below high (${high})`, 'options.low');
    for (let i = 0; i < 4; i++) this.state[i] = this.rng.range(low, high);
    this.started = true;
    this.done = false;
    return { observation: Float32Array.from(this.state), info: {} };
  }

  step(action: number): StepResult<Float32Array> {
    if (!this.started) throw new Error('CartPole: step() called before reset()');
    if (this.done) throw new Error('CartPole: step() called after the episode terminated; call reset()');
    if (!this.actionSpace.contains(action)) throw new Error(`CartPole: action ${String(action)} is outside ${this.actionSpace}`);
    let [x, xDot, theta, thetaDot] = this.state;
    const force = action === 1 ? FORCE_MAG : -FORCE_MAG;
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const temp = (force + POLE_MASS_LENGTH * thetaDot * thetaDot * sin) / TOTAL_MASS;
    const thetaAcc = (GRAVITY * sin - cos * temp) / (LENGTH * (4.0 / 3.0 - (MASS_POLE * cos * cos) / TOTAL_MASS));
    const xAcc = temp - (POLE_MASS_LENGTH * thetaAcc * cos) / TOTAL_MASS;
    // Euler, in Gymnasium's order: positions use the old velocities.
    x = x + TAU * xDot;
    xDot = xDot + TAU * xAcc;
    theta = theta + TAU * thetaDot;
    thetaDot = thetaDot + TAU * thetaAcc;
    this.state[0] = x;
    this.state[1] = xDot;
    this.state[2] = theta;
    this.state[3] = thetaDot;
    const terminated = x < -X_THRESHOLD || x > X_THRESHOLD || theta < -THETA_THRESHOLD_RADIANS || theta > THETA_THRESHOLD_RADIANS;
    this.done = terminated;
    return { observation: Float32Array.from(this.state), reward: 1, terminated, truncated: false, info: {} };
  }

  /** A 64×64 frame: light background, track, dark cart, orange pole. */
  render(): RgbFrame | null {
    if (this.renderMode !== 'rgb_array') return null;
    const data = new Uint8Array(FRAME * FRAME * 3).fill(245);
    const scale = FRAME / (X_THRESHOLD * 2);
    const trackY = 44;
    const put = (px: number, py: number, r: number, g: number, b: number) => {
      if (px < 0 || py < 0 || px >= FRAME || py >= FRAME) return;
      const o = (py * FRAME + px) * 3;
      data[o] = r;
      data[o + 1] = g;
      data[o + 2] = b;
    };
    for (let px = 0; px < FRAME; px++) put(px, trackY + 3, 60, 60, 60);
    const cx = Math.round(this.state[0] * scale + FRAME / 2);
    for (let dy = -2; dy <= 2; dy++) for (let dx = -5; dx <= 5; dx++) put(cx + dx, trackY + dy, 40, 40, 40);
    const poleLen = 2 * LENGTH * scale * 1.6;
    const theta = this.state[2];
    for (let s = 0; s <= poleLen; s += 0.25) {
      const px = Math.round(cx + Math.sin(theta) * s);
      const py = Math.round(trackY - 2 - Math.cos(theta) * s);
      put(px, py, 204, 153, 102);
      put(px + 1, py, 204, 153, 102);
    }
    return { height: FRAME, width: FRAME, data };
  }
}

function readBound(options: Record<string, unknown> | undefined, key: 'low' | 'high', fallback: number): number {
  const v = options?.[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new UserError(`CartPole reset option '${key}' must be a finite number`, `options.${key}`);
  return v;
}

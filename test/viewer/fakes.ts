/**
 * Test doubles for the viewer's tests: a tiny deterministic grid world that renders 64×64 RGB frames
 * (a white agent square walking towards a goal cell on a variant-coloured background), so the
 * server, play session and browser tests run fast without the real shape world or β-VAE.
 */
import { Env, type Info, type RgbFrame, type ResetArgs, type ResetResult, type StepResult } from '../../envs/core/env.ts';
import { Rng } from '../../envs/core/rng.ts';
import type { Space } from '../../envs/core/space.ts';

export const TEST_VARIANTS: Record<string, [number, number, number]> = {
  source: [24, 28, 60],
  'red-background': [110, 20, 24],
  'green-background': [20, 90, 40],
};

class DiscreteSpace implements Space<number> {
  readonly shape = [] as const;
  readonly dtype = 'int32' as const;
  private rng = new Rng(0);
  constructor(readonly n: number) {}
  seed(seed: number): void {
    this.rng.reseed(seed);
  }
  sample(): number {
    return this.rng.int(this.n);
  }
  contains(x: unknown): boolean {
    return Number.isInteger(x) && (x as number) >= 0 && (x as number) < this.n;
  }
  toString(): string {
    return `Discrete(${this.n})`;
  }
}

class ImageSpace implements Space<Uint8Array> {
  readonly shape = [64, 64, 3] as const;
  readonly dtype = 'uint8' as const;
  private rng = new Rng(0);
  seed(seed: number): void {
    this.rng.reseed(seed);
  }
  sample(): Uint8Array {
    return Uint8Array.from({ length: 64 * 64 * 3 }, () => this.rng.int(256));
  }
  contains(x: unknown): boolean {
    return x instanceof Uint8Array && x.length === 64 * 64 * 3;
  }
  toString(): string {
    return 'Box(0, 255, [64,64,3], uint8)';
  }
}

/** Actions: 0 noop, 1 up, 2 down, 3 left, 4 right. Reward +1 at the goal (terminates), −0.01 a step, truncation at maxSteps. */
export class GridDotEnv extends Env<Uint8Array, number> {
  readonly observationSpace = new ImageSpace();
  readonly actionSpace = new DiscreteSpace(5);
  private rng = new Rng(0);
  private ax = 0;
  private ay = 0;
  private gx = 0;
  private gy = 0;
  private t = 0;
  private done = true;
  private readonly frame = new Uint8Array(64 * 64 * 3);
  closed = 0;

  constructor(
    readonly variant: string,
    readonly maxSteps = 30,
  ) {
    super();
    if (TEST_VARIANTS[variant] === undefined) throw new Error(`unknown test variant ${variant}`);
    this.renderMode = 'rgb_array';
  }

  reset(args: ResetArgs = {}): ResetResult<Uint8Array> {
    if (args.seed !== undefined) this.rng.reseed(args.seed);
    this.ax = this.rng.int(8);
    this.ay = this.rng.int(8);
    do {
      this.gx = this.rng.int(8);
      this.gy = this.rng.int(8);
    } while (this.gx === this.ax && this.gy === this.ay);
    this.t = 0;
    this.done = false;
    this.draw();
    return { observation: this.frame.slice(), info: this.info() };
  }

  step(action: number): StepResult<Uint8Array> {
    if (this.done) throw new Error('step after episode end; call reset');
    const [dx, dy] = [[0, 0], [0, -1], [0, 1], [-1, 0], [1, 0]][action] ?? [0, 0];
    this.ax = Math.max(0, Math.min(7, this.ax + dx));
    this.ay = Math.max(0, Math.min(7, this.ay + dy));
    this.t++;
    const terminated = this.ax === this.gx && this.ay === this.gy;
    const truncated = !terminated && this.t >= this.maxSteps;
    this.done = terminated || truncated;
    this.draw();
    return { observation: this.frame.slice(), reward: terminated ? 1 : -0.01, terminated, truncated, info: this.info() };
  }

  render(): RgbFrame {
    return { width: 64, height: 64, data: this.frame };
  }

  override close(): void {
    this.closed++;
  }

  private info(): Info {
    return { factors: { agent_x: this.ax, agent_y: this.ay, goal_x: this.gx, goal_y: this.gy } };
  }

  private draw(): void {
    const [br, bg, bb] = TEST_VARIANTS[this.variant];
    for (let i = 0; i < 64 * 64; i++) {
      this.frame[i * 3] = br;
      this.frame[i * 3 + 1] = bg;
      this.frame[i * 3 + 2] = bb;
    }
    this.fillCell(this.gx, this.gy, [240, 190, 40], 1);
    this.fillCell(this.ax, this.ay, [250, 250, 250], 2);
  }

  private fillCell(cx: number, cy: number, [r, g, b]: [number, number, number], inset: number): void {
    for (let y = cy * 8 + inset; y < cy * 8 + 8 - inset; y++) {
      for (let x = cx * 8 + inset; x < cx * 8 + 8 - inset; x++) {
        const o = (y * 64 + x) * 3;
        this.frame[o] = r;
        this.frame[o + 1] = g;
        this.frame[o + 2] = b;
      }
    }
  }
}

/** An EnvFactory over the test variants. */
export function makeTestEnv(variant: string): GridDotEnv {
  return new GridDotEnv(variant);
}

/** A synthetic 64×64 frame whose content depends on `i` (for publish tests and benches). */
export function syntheticFrame(i: number): Uint8Array {
  const f = new Uint8Array(64 * 64 * 3);
  for (let p = 0; p < 64 * 64; p++) {
    f[p * 3] = (p + i) & 255;
    f[p * 3 + 1] = (p >> 6) * 4;
    f[p * 3 + 2] = (i * 7) & 255;
  }
  return f;
}

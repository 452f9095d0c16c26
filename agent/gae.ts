/**
 * Generalised Advantage Estimation (Schulman et al. 2016) over a rollout from a 'next-step'
 * autoreset vector env (envs/core/vector-env.ts). Arrays are time-major: index t·N + i is env i's
 * transition t, which started from the observation stored at t and took the action stored at t.
 *
 *   δ_t = r_t + γ·(1 − terminated_t)·V(s_{t+1}) − V(s_t)
 *   A_t = δ_t + γλ·(1 − terminated_t)·(1 − truncated_t)·A_{t+1}
 *
 * - termination: the value of what follows is 0 (no bootstrap);
 * - truncation: bootstrap from V(s_{t+1}) — the env returned the TRUE final observation at that
 *   step, which is stored at t+1, so `values[t+1]` is exactly V(final observation);
 * - autoreset (valid_t = 0): the action was ignored and s_{t+1} is a reset observation, so the
 *   transition is not real: its advantage and return are 0 and it never feeds another step's
 *   estimate (the step before it always ended an episode, which already cuts the chain).
 * `values` holds T+1 rows: row T is V(observation after the last step), the rollout's bootstrap.
 */

export interface GaeInput {
  numSteps: number;
  numEnvs: number;
  /** [T·N] reward of each transition. */
  rewards: Float32Array;
  /** [(T+1)·N] V(s_t); row T is the bootstrap value. */
  values: Float32Array;
  /** [T·N] 1 where the transition ended the episode in a terminal state. */
  terminated: Uint8Array;
  /** [T·N] 1 where the transition was cut by a time limit. */
  truncated: Uint8Array;
  /** [T·N] 0 where the transition was an autoreset step (mask it out), 1 otherwise. */
  valid: Uint8Array;
  gamma: number;
  lambda: number;
}

export interface GaeOutput {
  /** [T·N] A_t (0 where invalid). */
  advantages: Float32Array;
  /** [T·N] A_t + V(s_t), the value target (0 where invalid). */
  returns: Float32Array;
}

export function computeGae(x: GaeInput): GaeOutput {
  const { numSteps: T, numEnvs: N, gamma, lambda } = x;
  if (x.values.length !== (T + 1) * N) throw new Error(`computeGae: values has ${x.values.length} entries, expected (T+1)·N = ${(T + 1) * N}`);
  for (const [name, a] of [['rewards', x.rewards], ['terminated', x.terminated], ['truncated', x.truncated], ['valid', x.valid]] as const) {
    if (a.length !== T * N) throw new Error(`computeGae: ${name} has ${a.length} entries, expected T·N = ${T * N}`);
  }
  const advantages = new Float32Array(T * N);
  const returns = new Float32Array(T * N);
  for (let i = 0; i < N; i++) {
    let next = 0; // A_{t+1}, accumulated in float64
    for (let t = T - 1; t >= 0; t--) {
      const k = t * N + i;
      if (x.valid[k] === 0) {
        next = 0;
        continue;
      }
      const notTerminal = 1 - x.terminated[k];
      const carries = notTerminal * (1 - x.truncated[k]);
      const v = x.values[k];
      const delta = x.rewards[k] + gamma * notTerminal * x.values[k + N] - v;
      next = delta + gamma * lambda * carries * next;
      advantages[k] = next;
      returns[k] = next + v;
    }
  }
  return { advantages, returns };
}

/** (a − mean) / (std + 1e-8) with the unbiased std, as CleanRL normalises each minibatch. */
export function normalizeAdvantages(a: Float32Array): Float32Array {
  const n = a.length;
  const out = new Float32Array(n);
  if (n === 0) return out;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += a[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (a[i] - mean) ** 2;
  const std = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  for (let i = 0; i < n; i++) out[i] = (a[i] - mean) / (std + 1e-8);
  return out;
}

/** 1 − Var(returns − values) / Var(returns) (numpy's biased variance); NaN when Var(returns) is 0. */
export function explainedVariance(values: ArrayLike<number>, returns: ArrayLike<number>): number {
  const n = returns.length;
  if (n === 0) return Number.NaN;
  let my = 0;
  let md = 0;
  for (let i = 0; i < n; i++) {
    my += returns[i];
    md += returns[i] - values[i];
  }
  my /= n;
  md /= n;
  let vy = 0;
  let vd = 0;
  for (let i = 0; i < n; i++) {
    vy += (returns[i] - my) ** 2;
    vd += (returns[i] - values[i] - md) ** 2;
  }
  return vy === 0 ? Number.NaN : 1 - vd / vy;
}

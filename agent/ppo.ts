/**
 * PPO (Schulman et al. 2017, "Proximal Policy Optimization Algorithms") for discrete actions,
 * readable top to bottom in the order it runs, after CleanRL's ppo.py:
 *   setup → for each update: anneal LR · rollout · bootstrap · GAE · flatten · minibatch epochs · log
 *   (+ evaluation on held-out episodes and checkpoints every few updates).
 * The vector env autoresets on the step after an episode ends ('next-step'); those autoreset
 * transitions are masked out of GAE and the loss (see gae.ts). Truncation bootstraps V(s_T);
 * termination does not. The observation front-end (darla, entangled, pixels, oracle, state) turns
 * frames into the policy's input once per step; a frozen encoder is never re-run in the epochs.
 * Deterministic for a seed on one backend: weights, action sampling and minibatch order come from
 * seeded Rng streams, env i resets with seed + i.
 */
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../envs/core/errors.ts';
import { mixSeed, Rng } from '../envs/core/rng.ts';
import type { ObsArray, VectorEnv } from '../envs/core/vector-env.ts';
import type { EpisodeStats } from '../envs/core/wrappers/record-episode-statistics.ts';
import { RunDir, stableStringify, type MetricRecord } from '../envs/util/run-dir.ts';
import { CheckpointDir } from '../vision/checkpoint/format.ts';
import { assignArrays } from '../vision/checkpoint/tensors.ts';
import { Adam, globalGradNorm } from '../vision/train/adam.ts';
import { loadVae, type LoadedVae } from '../vision/vae/load.ts';
import { probabilitiesRow } from './categorical.ts';
import { loadPolicyCheckpoint, POLICY_CHECKPOINT_KIND, policyCheckpoint, withRunRelativeEncoder, type PolicyCheckpointMeta } from './checkpoint.ts';
import { derivedSizes, resolveAgentConfig, type AgentConfig } from './config.ts';
import { evaluatePolicy, type EvalResult } from './evaluate.ts';
import { createFrontend, frontendMismatch, type FeatureArray, type Frontend } from './frontends.ts';
import { computeGae, explainedVariance, normalizeAdvantages } from './gae.ts';
import { ppoLoss } from './losses.ts';
import { ActorCritic, type PolicyArch } from './networks.ts';
import { Policy } from './policy.ts';
import { gather, gatherInt, RolloutBuffer } from './rollout.ts';
import { writeTrainReport } from './train-report.ts';
import { agentRunRecord, episodeSuccess, makeTaskEnvs, resolveTask, taskRecord, type Task } from './tasks.ts';

export interface TrainProgress {
  update: number;
  numUpdates: number;
  globalStep: number;
  totalSteps: number;
  sps: number;
  /** Mean return of the episodes that ended in this update (NaN if none did). */
  episodicReturn: number;
  successRate: number | null;
}

/** What the viewer sees of env 0 at each rollout step: the frame, the policy's input, its choice. */
export interface AgentSnapshot {
  globalStep: number;
  /** Env 0's observation as uint8 H×W×3 when the env observes frames, else null. */
  frame: Uint8Array | null;
  /** Env 0's policy input (μ for latent front-ends, features for oracle/state); null for pixels. */
  features: Float32Array | null;
  probs: number[];
  action: number;
  value: number;
}

export interface TrainAgentOptions {
  /** Where to write config.json, metrics.jsonl, checkpoints/, images/, report.md (none: in memory only). */
  runDir?: string;
  resume?: boolean;
  fresh?: boolean;
  /** An encoder already loaded (else the darla/entangled front-ends load `config.vae`). */
  vae?: LoadedVae;
  onProgress?: (p: TrainProgress) => void;
  onSnapshot?: (s: AgentSnapshot) => void;
  /** Called with each metrics record as it is logged (throwing stops the run, like a kill). */
  onMetrics?: (record: MetricRecord) => void;
  log?: (line: string) => void;
  /** Return the trained policy (the caller disposes it); otherwise it is freed. */
  keepPolicy?: boolean;
  /** Polled after each update: true saves a checkpoint and returns early (Ctrl-C; the run resumes from there). */
  shouldStop?: () => boolean;
}

export interface TrainResult {
  config: AgentConfig;
  globalStep: number;
  updates: number;
  /** Env steps per second in this session (rollouts, encoding, updates and evaluations included). */
  sps: number;
  finalEval: EvalResult | null;
  /** The last metrics record logged. */
  lastMetrics: MetricRecord | null;
  checkpoint: string | null;
  policy: Policy | null;
  /** False when shouldStop ended the run early (after saving a checkpoint). */
  finished: boolean;
}

/** A loss or gradient became NaN/Inf: training stops before the update, the last checkpoint stays. */
export class NonFiniteLossError extends Error {
  override readonly name = 'NonFiniteLossError';
}

/** The network for a config and front-end: separate MLPs on vectors, a conv torso on pixels. */
export function policyArch(cfg: AgentConfig, frontend: Frontend, numActions: number): PolicyArch {
  if (cfg.frontend === 'pixels') {
    const [h, w, c] = frontend.record.inputShape;
    return { torso: 'conv', inputShape: [h, w, c], conv: cfg.conv, hidden: cfg.convHidden, numActions };
  }
  return { torso: 'mlp', inputSize: frontend.inputSize, hidden: cfg.hidden, activation: cfg.activation, numActions };
}

/** The seed of the held-out evaluation episodes (disjoint from the training envs' seed + i). */
export function evalSeed(seed: number): number {
  return mixSeed(seed, 0xe7a1);
}

export async function trainAgent(input: unknown, opts: TrainAgentOptions = {}): Promise<TrainResult> {
  // ---- setup: config, envs, front-end, network, optimizer, seeded streams ---------------------
  const cfg = resolveAgentConfig(input);
  const { numUpdates } = derivedSizes(cfg);
  const T = cfg.numSteps;
  const N = cfg.numEnvs;
  const log = opts.log ?? (() => {});
  const task = resolveTask(cfg.env, cfg.variant);

  // Every input (the encoder too) is checked before the run directory is created or touched.
  const run = opts.runDir === undefined ? null : new RunDir(opts.runDir);
  const record = { ...agentRunRecord(cfg, task), backend: tf.getBackend() };
  run?.check(record, { resume: opts.resume, fresh: opts.fresh });
  let vae = opts.vae;
  const ownsVae = vae === undefined && (cfg.frontend === 'darla' || cfg.frontend === 'entangled');
  if (ownsVae) vae = loadVae(cfg.vae!);
  const envs = makeTaskEnvs(task, N);
  let frontend: Frontend;
  try {
    frontend = createFrontend(cfg.frontend, { obsSpace: envs.singleObservationSpace, vae, ownsVae });
  } catch (err) {
    envs.close();
    if (ownsVae) vae?.model.dispose();
    throw err;
  }
  try {
    run?.open(record, { resume: opts.resume, fresh: opts.fresh });
  } catch (err) {
    envs.close();
    frontend.dispose();
    throw err;
  }
  if (frontend.record.encoder !== undefined) {
    log(`encoder ${frontend.record.encoder.fingerprint} (${JSON.stringify(frontend.record.encoder.objective)}) from ${frontend.record.encoder.path}`);
  }
  const arch = policyArch(cfg, frontend, envs.singleActionSpace.n);
  const net = new ActorCritic(arch, mixSeed(cfg.seed, 1));
  const policy = new Policy(net, frontend);
  const optimizer = new Adam(net.params, { lr: cfg.lr, eps: cfg.adamEps, maxGradNorm: cfg.maxGradNorm });
  const actionRng = new Rng(mixSeed(cfg.seed, 2));
  const shuffleRng = new Rng(mixSeed(cfg.seed, 3));
  const ckptDir = run === null ? null : new CheckpointDir(run.checkpointsDir);

  let startUpdate = 0;
  let globalStep = 0;
  let elapsedBefore = 0;
  let lastCheckpoint: string | null = null;
  if (run !== null && opts.resume) {
    const latest = ckptDir!.latest();
    if (latest !== null) {
      const ckpt = loadPolicyCheckpoint(latest, '--resume');
      const why = frontendMismatch(ckpt.meta.frontend, frontend.record);
      if (why !== null) throw new UserError(`cannot resume from ${latest}: ${why}`, '--resume');
      if (stableStringify(ckpt.meta.arch) !== stableStringify(arch)) {
        throw new UserError(`cannot resume from ${latest}: its network is ${stableStringify(ckpt.meta.arch)}, this config builds ${stableStringify(arch)}`, '--resume');
      }
      // tidy frees the temporary tensors that assigning arrays to variables leaves behind.
      tf.tidy(() => {
        assignArrays(net.params, ckpt.arrays, 'policy/', latest);
        optimizer.setState({ t: ckpt.meta.optimizerStep, arrays: ckpt.arrays });
      });
      actionRng.setState(ckpt.meta.rng.action);
      shuffleRng.setState(ckpt.meta.rng.shuffle);
      startUpdate = ckpt.meta.update;
      globalStep = ckpt.meta.step;
      elapsedBefore = ckpt.meta.elapsedSeconds;
      lastCheckpoint = latest;
      run.truncateMetricsAfter(globalStep);
      log(`resumed from ${latest} at update ${startUpdate}/${numUpdates}, step ${globalStep}`);
    }
  }

  const saveCheckpoint = (update: number): string | null => {
    if (ckptDir === null) return null;
    const meta: PolicyCheckpointMeta = {
      kind: POLICY_CHECKPOINT_KIND,
      arch,
      step: globalStep,
      update,
      config: cfg,
      task: taskRecord(task),
      frontend: withRunRelativeEncoder(frontend.record, run!.root),
      rng: { action: actionRng.getState(), shuffle: shuffleRng.getState() },
      optimizerStep: optimizer.t,
      elapsedSeconds: elapsedBefore + (performance.now() - startTime) / 1000,
      backend: tf.getBackend(),
    };
    const opt = optimizer.getState();
    return ckptDir.save(policyCheckpoint(meta, net, opt.arrays));
  };

  // A run starts its episodes from seed + i; a resumed run restarts them from a seed derived from
  // the update it resumes at (episodes in flight at the checkpoint are not restored).
  const buf = new RolloutBuffer(T, N, frontend);
  const first = envs.reset({ seed: startUpdate === 0 ? cfg.seed : mixSeed(cfg.seed, startUpdate) });
  const roll: RolloutState = { nextObs: frontend.allocate(N), currentObs: first.observations, globalStep };
  frontend.observe(first.observations, first.infos, N, roll.nextObs);

  const startTime = performance.now();
  const startStep = globalStep;
  let finalEval: EvalResult | null = null;
  let lastMetrics: MetricRecord | null = null;
  let stoppedAt: number | null = null;

  try {
    for (let update = startUpdate + 1; update <= numUpdates; update++) {
      // ---- annealing the learning rate ---------------------------------------------------------
      if (cfg.annealLr) optimizer.lr = (1 - (update - 1) / numUpdates) * cfg.lr;

      // ---- rollout: N envs × T steps with the current policy ------------------------------------
      const episodes = collectRollout(policy, envs, buf, roll, actionRng, task, opts.onSnapshot);
      globalStep = roll.globalStep;
      const { returns: epReturns, lengths: epLengths, successes: epSuccess } = episodes;

      // ---- bootstrap: V(observation after the last step) ----------------------------------------
      buf.values.set(policy.values(roll.nextObs, N), T * N);

      // ---- GAE over the rollout (terminations cut, truncations bootstrap, autoresets masked) ----
      const { advantages, returns } = computeGae({
        numSteps: T,
        numEnvs: N,
        rewards: buf.rewards,
        values: buf.values,
        terminated: buf.terminated,
        truncated: buf.truncated,
        valid: buf.valid,
        gamma: cfg.gamma,
        lambda: cfg.gaeLambda,
      });

      // ---- flatten: the real transitions only -------------------------------------------------
      const idx = buf.validIndices();
      const bValues = gather(buf.values, idx);
      const bReturns = gather(returns, idx);

      // ---- minibatch epochs: optimise the clipped surrogate -------------------------------------
      const sums = { pg: 0, v: 0, ent: 0, kl: 0, oldKl: 0, clip: 0, gradNorm: 0, n: 0 };
      let stopEarly = false;
      for (let epoch = 0; epoch < cfg.updateEpochs && !stopEarly; epoch++) {
        const perm = shuffleRng.permutation(idx.length);
        const mbSize = Math.ceil(idx.length / cfg.numMinibatches);
        let epochKl = 0;
        let epochMbs = 0;
        for (let start = 0; start < idx.length; start += mbSize) {
          const mbIdx = new Int32Array(Math.min(mbSize, idx.length - start));
          for (let j = 0; j < mbIdx.length; j++) mbIdx[j] = idx[perm[start + j]];
          const d = updateMinibatch(net, optimizer, frontend, buf, mbIdx, advantages, returns, cfg, update);
          sums.pg += d.pgLoss;
          sums.v += d.vLoss;
          sums.ent += d.entropy;
          sums.kl += d.approxKl;
          sums.oldKl += d.oldApproxKl;
          sums.clip += d.clipFraction;
          sums.gradNorm += d.gradNorm;
          sums.n += 1;
          epochKl += d.approxKl;
          epochMbs += 1;
        }
        if (cfg.targetKl !== null && epochKl / epochMbs > cfg.targetKl) stopEarly = true;
      }

      // ---- log ----------------------------------------------------------------------------------
      const seconds = (performance.now() - startTime) / 1000;
      const sps = (globalStep - startStep) / Math.max(seconds, 1e-9);
      const mean = (xs: number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
      const record: MetricRecord = {
        step: globalStep,
        update,
        'charts/learning_rate': optimizer.lr,
        'charts/SPS': Math.round(sps),
        'losses/value_loss': sums.v / sums.n,
        'losses/policy_loss': sums.pg / sums.n,
        'losses/entropy': sums.ent / sums.n,
        'losses/old_approx_kl': sums.oldKl / sums.n,
        'losses/approx_kl': sums.kl / sums.n,
        'losses/clip_fraction': sums.clip / sums.n,
        'losses/grad_norm': sums.gradNorm / sums.n,
      };
      const explVar = explainedVariance(bValues, bReturns);
      if (Number.isFinite(explVar)) record['losses/explained_variance'] = explVar;
      if (epReturns.length > 0) {
        record['charts/episodic_return'] = mean(epReturns);
        record['charts/episodic_length'] = mean(epLengths);
        record['charts/episodes'] = epReturns.length;
      }
      if (epSuccess.length > 0) record['charts/success_rate'] = epSuccess.filter(Boolean).length / epSuccess.length;

      // ---- evaluation on held-out episodes (deterministic policy) -------------------------------
      const evalNow = update === numUpdates || (cfg.evalInterval > 0 && update % cfg.evalInterval === 0);
      if (evalNow) {
        const ev = evaluatePolicy(policy, task, { episodes: cfg.evalEpisodes, seed: evalSeed(cfg.seed), deterministic: true });
        record['eval/episodic_return'] = ev.meanReturn;
        record['eval/episodic_length'] = ev.meanLength;
        if (ev.successRate !== null) record['eval/success_rate'] = ev.successRate;
        if (update === numUpdates) finalEval = ev;
      }
      run?.logMetrics(record);
      lastMetrics = record;
      opts.onMetrics?.(record);

      // A stop request (Ctrl-C) saves this update too, so nothing since the last periodic checkpoint is lost.
      const stopping = update < numUpdates && (opts.shouldStop?.() ?? false);
      if (update % cfg.checkpointInterval === 0 || update === numUpdates || stopping) lastCheckpoint = saveCheckpoint(update) ?? lastCheckpoint;
      if (stopping) {
        stoppedAt = update;
        break;
      }

      opts.onProgress?.({
        update,
        numUpdates,
        globalStep,
        totalSteps: numUpdates * T * N,
        sps,
        episodicReturn: mean(epReturns),
        successRate: epSuccess.length === 0 ? null : epSuccess.filter(Boolean).length / epSuccess.length,
      });
      // Let timers and sockets (progress bars, the viewer) run between updates.
      await new Promise((resolve) => setImmediate(resolve));
    }

    const seconds = (performance.now() - startTime) / 1000;
    const sps = (globalStep - startStep) / Math.max(seconds, 1e-9);
    if (stoppedAt !== null) {
      log(`stopped at update ${stoppedAt}/${numUpdates} (step ${globalStep}); checkpoint ${lastCheckpoint ?? '(none: no run directory)'}`);
      return { config: cfg, globalStep, updates: stoppedAt, sps, finalEval: null, lastMetrics, checkpoint: lastCheckpoint, policy: opts.keepPolicy === true ? policy : null, finished: false };
    }
    if (run !== null) {
      await writeTrainReport(run, { config: cfg, task, frontend: frontend.record, finalEval, sps, globalStep, seconds: elapsedBefore + seconds, backend: tf.getBackend() });
    }
    const keep = opts.keepPolicy === true;
    return {
      config: cfg,
      globalStep,
      updates: numUpdates,
      sps,
      finalEval,
      lastMetrics,
      checkpoint: lastCheckpoint,
      policy: keep ? policy : null,
      finished: true,
    };
  } finally {
    envs.close();
    optimizer.dispose();
    if (opts.keepPolicy !== true) policy.dispose();
    run?.release();
  }
}

/** What carries over between rollouts: the policy input for the next step and env 0's raw frame. */
export interface RolloutState {
  /** N input rows for the observations the policy acts on next. */
  nextObs: FeatureArray;
  /** The vector env's latest observations (for snapshots). */
  currentObs: ObsArray;
  globalStep: number;
}

export interface RolloutEpisodes {
  returns: number[];
  lengths: number[];
  successes: boolean[];
}

/**
 * Fills `buf` with T steps of N envs under the current (stochastic) policy. Transition t of env i
 * is valid unless the vector env reported it as an autoreset step (action ignored, not real).
 * Returns the episodes that ended during the rollout.
 */
export function collectRollout(
  policy: Policy,
  envs: VectorEnv<ObsArray>,
  buf: RolloutBuffer,
  state: RolloutState,
  rng: Rng,
  task: Task,
  onSnapshot?: (s: AgentSnapshot) => void,
): RolloutEpisodes {
  const N = buf.numEnvs;
  const frontend = policy.frontend;
  const frameObs = envs.singleObservationSpace.dtype === 'uint8';
  const out: RolloutEpisodes = { returns: [], lengths: [], successes: [] };
  for (let t = 0; t < buf.numSteps; t++) {
    const rows = buf.obsAt(t);
    rows.set(state.nextObs);
    const act = policy.act(rows, N, rng, false);
    buf.actions.set(act.actions, t * N);
    buf.logprobs.set(act.logprobs, t * N);
    buf.values.set(act.values, t * N);
    if (onSnapshot) {
      onSnapshot({
        globalStep: state.globalStep,
        frame: frameObs ? (state.currentObs.slice(0, envs.obsSize) as Uint8Array) : null,
        features: frontend.storage === 'float32' ? (rows.slice(0, frontend.inputSize) as Float32Array) : null,
        probs: probabilitiesRow(act.logits, 0, policy.numActions),
        action: act.actions[0],
        value: act.values[0],
      });
    }

    const r = envs.step(act.actions);
    state.globalStep += N;
    buf.rewards.set(r.rewards, t * N);
    buf.terminated.set(r.terminations, t * N);
    buf.truncated.set(r.truncations, t * N);
    for (let i = 0; i < N; i++) {
      // An autoreset step ignored the action: not a real transition.
      buf.valid[t * N + i] = 1 - r.autoreset[i];
      if (r.autoreset[i] === 0 && (r.terminations[i] === 1 || r.truncations[i] === 1)) {
        const ep = r.infos[i].episode as EpisodeStats | undefined;
        if (ep !== undefined) {
          out.returns.push(ep.r);
          out.lengths.push(ep.l);
        }
        const s = episodeSuccess(task, r.rewards[i], r.terminations[i] === 1, r.infos[i]);
        if (s !== null) out.successes.push(s);
      }
    }
    state.currentObs = r.observations;
    frontend.observe(r.observations, r.infos, N, state.nextObs);
  }
  return out;
}

interface MinibatchStats {
  pgLoss: number;
  vLoss: number;
  entropy: number;
  approxKl: number;
  oldApproxKl: number;
  clipFraction: number;
  gradNorm: number;
}

/**
 * One gradient step on one minibatch of real transitions. The loss terms and the global gradient
 * norm are read back first, and a non-finite one throws NonFiniteLossError before the optimizer
 * runs: the weights and Adam's moments are exactly what they were (exported for its tests).
 */
export function updateMinibatch(
  net: ActorCritic,
  optimizer: Adam,
  frontend: Frontend,
  buf: RolloutBuffer,
  mbIdx: Int32Array,
  advantages: Float32Array,
  returns: Float32Array,
  cfg: AgentConfig,
  update: number,
): MinibatchStats {
  const m = mbIdx.length;
  const mbAdv = gather(advantages, mbIdx);
  const x = frontend.toTensor(buf.gatherObs(mbIdx), m);
  const mb = {
    actions: tf.tensor1d(gatherInt(buf.actions, mbIdx), 'int32'),
    oldLogp: tf.tensor1d(gather(buf.logprobs, mbIdx)),
    advantages: tf.tensor1d(cfg.normAdv ? normalizeAdvantages(mbAdv) : mbAdv),
    returns: tf.tensor1d(gather(returns, mbIdx)),
    oldValues: tf.tensor1d(gather(buf.values, mbIdx)),
  };
  let diag: tf.Tensor1D | null = null;
  const coefs = { clipCoef: cfg.clipCoef, clipVloss: cfg.clipVloss, entCoef: cfg.entCoef, vfCoef: cfg.vfCoef };
  const varList = net.params.map(([, v]) => v);
  const { value, grads } = tf.variableGrads(() => {
    const { logits, value: v } = net.forward(x);
    const t = ppoLoss(logits, v, mb, coefs);
    diag = tf.keep(tf.stack([t.loss, t.pgLoss, t.vLoss, t.entropy, t.approxKl, t.oldApproxKl, t.clipFraction]) as tf.Tensor1D);
    return t.loss;
  }, varList);
  try {
    const d = diag!.dataSync();
    if (!d.every(Number.isFinite)) {
      throw new NonFiniteLossError(`non-finite PPO loss at update ${update}: training stopped before applying it (the last checkpoint is kept; try a lower --lr)`);
    }
    const named: Record<string, tf.Tensor> = {};
    for (const [name, v] of net.params) named[name] = grads[v.name];
    // The check comes before the update: Adam's clip factor min(1, c/NaN) is NaN and would poison
    // the weights and both moments.
    const gradNorm = globalGradNorm(named);
    if (!Number.isFinite(gradNorm)) {
      throw new NonFiniteLossError(`non-finite gradient norm at update ${update}: training stopped before applying it (the last checkpoint is kept; try a lower --lr)`);
    }
    optimizer.apply(named, gradNorm);
    return { pgLoss: d[1], vLoss: d[2], entropy: d[3], approxKl: d[4], oldApproxKl: d[5], clipFraction: d[6], gradNorm };
  } finally {
    value.dispose();
    (diag as tf.Tensor1D | null)?.dispose();
    tf.dispose(grads);
    tf.dispose([x, mb.actions, mb.oldLogp, mb.advantages, mb.returns, mb.oldValues]);
  }
}

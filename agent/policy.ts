/**
 * A policy as the rest of the project uses it: a front-end (what it sees) plus an actor-critic
 * network (how it acts), with one batched `act` for rollouts, evaluation and the viewer. The
 * network's forward pass runs in tf.tidy; the action is picked in plain JS with our seeded Rng.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../envs/core/rng.ts';
import { selectActions } from './categorical.ts';
import type { FeatureArray, Frontend } from './frontends.ts';
import type { ActorCritic } from './networks.ts';

export interface ActResult {
  /** [count] chosen actions. */
  actions: Int32Array;
  /** [count] log π(a|s). */
  logprobs: Float32Array;
  /** [count] V(s). */
  values: Float32Array;
  /** [count × numActions] logits. */
  logits: Float32Array;
}

export class Policy {
  readonly numActions: number;

  constructor(
    readonly net: ActorCritic,
    readonly frontend: Frontend,
  ) {
    this.numActions = net.arch.numActions;
  }

  /** Logits and values for `count` stored input rows. */
  evaluate(rows: FeatureArray, count: number): { logits: Float32Array; values: Float32Array } {
    return tf.tidy(() => {
      const { logits, value } = this.net.forward(this.frontend.toTensor(rows, count));
      return { logits: logits.dataSync() as Float32Array, values: value.dataSync() as Float32Array };
    });
  }

  /** V(s) for `count` stored input rows. */
  values(rows: FeatureArray, count: number): Float32Array {
    return this.evaluate(rows, count).values;
  }

  /** One decision per row: sampled with `rng`, or the most probable action when `deterministic`. */
  act(rows: FeatureArray, count: number, rng: Rng, deterministic: boolean): ActResult {
    const { logits, values } = this.evaluate(rows, count);
    const actions = new Int32Array(count);
    const logprobs = new Float32Array(count);
    selectActions(logits, this.numActions, rng, deterministic, actions, logprobs);
    return { actions, logprobs, values, logits };
  }

  /** Frees the network and the front-end (and the encoder, when the front-end owns it). */
  dispose(): void {
    this.net.dispose();
    this.frontend.dispose();
  }
}

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectActions } from '../../agent/categorical.ts';
import { orthogonal } from '../../agent/init.ts';
import { ActorCritic } from '../../agent/networks.ts';
import { Rng } from '../../envs/core/rng.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Gram matrix of the columns (cols × cols) of a rows × cols matrix. */
function gramColumns(w: Float32Array, rows: number, cols: number): number[][] {
  const g: number[][] = [];
  for (let a = 0; a < cols; a++) {
    g.push([]);
    for (let b = 0; b < cols; b++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += w[r * cols + a] * w[r * cols + b];
      g[a].push(s);
    }
  }
  return g;
}

describe('orthogonal init', () => {
  it('gives orthonormal columns (tall) or rows (wide), scaled by the gain', () => {
    const tall = orthogonal(12, 5, 2, new Rng(1));
    gramColumns(tall, 12, 5).forEach((row, a) => row.forEach((v, b) => expect(v).toBeCloseTo(a === b ? 4 : 0, 5)));
    const wide = orthogonal(3, 7, 1, new Rng(2));
    // Rows orthonormal: W·Wᵀ = I.
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) {
        let s = 0;
        for (let c = 0; c < 7; c++) s += wide[a * 7 + c] * wide[b * 7 + c];
        expect(s).toBeCloseTo(a === b ? 1 : 0, 5);
      }
    }
  });
  it('is deterministic for a seed', () => {
    expect(Array.from(orthogonal(6, 4, 1, new Rng(9)))).toEqual(Array.from(orthogonal(6, 4, 1, new Rng(9))));
  });
});

describe('ActorCritic', () => {
  it('builds separate actor/critic MLPs with the reference head gains', () => {
    const net = new ActorCritic({ torso: 'mlp', inputSize: 10, hidden: [64, 64], activation: 'tanh', numActions: 5 }, 0);
    const names = net.params.map(([n]) => n);
    expect(names).toEqual([
      'critic/fc0/w', 'critic/fc0/b', 'critic/fc1/w', 'critic/fc1/b', 'critic/out/w', 'critic/out/b',
      'actor/fc0/w', 'actor/fc0/b', 'actor/fc1/w', 'actor/fc1/b', 'actor/out/w', 'actor/out/b',
    ]);
    const norm = (name: string) => {
      const v = net.params.find(([n]) => n === name)![1];
      return Math.sqrt(tf.tidy(() => tf.sum(tf.square(v)).dataSync()[0]));
    };
    // An orthogonal k-column matrix with gain g has Frobenius norm g·√k.
    expect(norm('actor/out/w')).toBeCloseTo(0.01 * Math.sqrt(5), 5);
    expect(norm('critic/out/w')).toBeCloseTo(1, 5);
    expect(norm('actor/fc0/w')).toBeCloseTo(Math.SQRT2 * Math.sqrt(10), 4);
    const { logits, value } = net.forward(tf.ones([3, 10]));
    expect(logits.shape).toEqual([3, 5]);
    expect(value.shape).toEqual([3]);
    tf.dispose([logits, value]);
    net.dispose();
  });

  it('builds a conv torso for pixels and runs on a 64×64×3 batch', () => {
    const net = new ActorCritic(
      { torso: 'conv', inputShape: [64, 64, 3], conv: [{ filters: 16, kernel: 8, stride: 4 }, { filters: 32, kernel: 4, stride: 2 }], hidden: 256, numActions: 5 },
      0,
    );
    // 64 → (64−8)/4+1 = 15 → (15−4)/2+1 = 6: the FC sees 6·6·32 = 1152 inputs.
    expect(net.params.find(([n]) => n === 'torso/fc/w')![1].shape).toEqual([1152, 256]);
    const { logits, value } = net.forward(tf.zeros([2, 64, 64, 3]));
    expect(logits.shape).toEqual([2, 5]);
    expect(value.shape).toEqual([2]);
    tf.dispose([logits, value]);
    net.dispose();
  });
});

describe('selectActions', () => {
  it('samples by the softmax with a seeded Rng and takes the argmax when deterministic', () => {
    const logits = new Float32Array(4000 * 3);
    for (let r = 0; r < 4000; r++) logits.set([Math.log(0.2), Math.log(0.5), Math.log(0.3)], r * 3);
    const actions = new Int32Array(4000);
    const logprobs = new Float32Array(4000);
    selectActions(logits, 3, new Rng(5), false, actions, logprobs);
    const freq = [0, 1, 2].map((a) => actions.filter((x) => x === a).length / 4000);
    expect(freq[0]).toBeCloseTo(0.2, 1);
    expect(freq[1]).toBeCloseTo(0.5, 1);
    expect(logprobs[actions.indexOf(1)]).toBeCloseTo(Math.log(0.5), 5);
    selectActions(logits, 3, new Rng(5), true, actions, logprobs);
    expect(actions.every((a) => a === 1)).toBe(true);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFrontend, frontendMismatch } from '../../agent/frontends.ts';
import { loadPolicy } from '../../agent/load-policy.ts';
import { trainAgent } from '../../agent/ppo.ts';
import { runTransfer } from '../../agent/transfer.ts';
import { UserError } from '../../envs/core/errors.ts';
import { Box } from '../../envs/core/spaces/box.ts';
import { parseVariantArg, variantDefinitions } from '../../envs/shapeworld/variant-arg.ts';
import { getVariant, variantNames, variantToJson, type VariantInput } from '../../envs/shapeworld/variants.ts';
import { loadViewerModels } from '../../viewer/launch.ts';
import { registerTinyEnvs } from './tiny-envs.ts';
import { writeRandomVae } from './vae-fixture.ts';

let tmp: string;
let vaeA: string;
let vaeB: string;
const runs: Record<string, string> = {};

// Tiny budgets: these policies are not meant to be good, only real.
const tiny = { env: 'ShapeWorld-v0', numEnvs: 4, numSteps: 16, numMinibatches: 2, updateEpochs: 1, totalSteps: 128, hidden: [8], evalInterval: 0, evalEpisodes: 2 } as const;

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerTinyEnvs();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'darla-transfer-'));
  vaeA = writeRandomVae(path.join(tmp, 'vae-a'), 1, { seenVariants: ['source', 'background-shift'] });
  vaeB = writeRandomVae(path.join(tmp, 'vae-b'), 2);
  for (const seed of [0, 1]) {
    runs[`oracle${seed}`] = path.join(tmp, `oracle-${seed}`);
    await trainAgent({ ...tiny, frontend: 'oracle', seed }, { runDir: runs[`oracle${seed}`] });
  }
  runs.darla = path.join(tmp, 'darla-0');
  await trainAgent({ ...tiny, frontend: 'darla', vae: vaeA }, { runDir: runs.darla });
  runs.cartpole = path.join(tmp, 'cartpole');
  await trainAgent({ env: 'CartPole-v1', frontend: 'state', numEnvs: 2, numSteps: 8, totalSteps: 16, hidden: [4], evalEpisodes: 1 }, { runDir: runs.cartpole });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('runTransfer', () => {
  it('evaluates frozen policies on source and targets and writes the table, JSON and charts', async () => {
    const out = path.join(tmp, 'transfer');
    const before = tf.memory().numTensors;
    const r = await runTransfer({
      policies: [runs.oracle0, runs.oracle1, runs.darla],
      variants: ['source', 'background-shift', 'color-shift'],
      episodes: 2,
      seeds: [0, 1],
      runDir: out,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.rows).toHaveLength(2 * 2 * 3); // modes × agents × variants
    expect(r.cells).toHaveLength(3 * 4 * 2 * 2); // policies × (source + 3 targets) × modes × seeds
    const row = (agent: string, variant: string) => r.rows.find((x) => x.agent === agent && x.variant === variant && x.mode === 'deterministic')!;
    expect(row('oracle', 'source').policySaw).toBe('yes');
    expect(row('oracle', 'source').heldOut).toBeNull();
    expect(row('oracle', 'source').visionSaw).toBe('n/a');
    expect(row('oracle', 'color-shift').heldOut).toEqual({ claims: ['goal_color', 'hazard_color'], ok: true, problems: [] });
    expect(row('oracle', 'color-shift').ciOver).toBe('training seeds');
    expect(row('oracle', 'color-shift').targetReturn.n).toBe(2);
    expect(row('darla', 'color-shift').ciOver).toBe('evaluation seeds');
    expect(row('darla', 'color-shift').visionSaw).toBe('no');
    expect(row('darla', 'background-shift').visionSaw).toBe('yes');
    expect(row('darla', 'background-shift').policySaw).toBe('no');
    // The source row's target is the source itself, evaluated on the same seeds: ratio exactly 1 where defined.
    const src = row('oracle', 'source');
    expect(src.targetReturn.mean).toBeCloseTo(src.sourceReturn.mean, 12);
    for (const f of ['report.md', 'transfer.json', 'images/transfer_success.svg']) expect(fs.existsSync(path.join(out, f))).toBe(true);
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain('| oracle | color-shift | n/a | no | goal_color, hazard_color ✓ |');
    expect(md).toContain('## Stochastic policy');
  });

  it('records the full definition of every variant in config.json and transfer.json, enough to redo the run', async () => {
    const out = path.join(tmp, 'transfer-defs');
    const custom = { extends: 'source', name: 'my-shift', scales: [4], heldOut: ['scale'] };
    await runTransfer({ policies: [runs.oracle0], variants: ['source', JSON.stringify(custom)], episodes: 1, seeds: [0], modes: ['deterministic'], runDir: out });
    const json = JSON.parse(fs.readFileSync(path.join(out, 'transfer.json'), 'utf8')) as { variants: Record<string, VariantInput> };
    const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as { variants: Record<string, VariantInput> };
    expect(Object.keys(json.variants).sort()).toEqual(['my-shift', 'source']);
    expect(config.variants).toEqual(json.variants);
    expect(json.variants['my-shift']).toEqual(variantToJson(parseVariantArg(JSON.stringify(custom))));
    expect(json.variants.source).toEqual(variantToJson(getVariant('source')));
    // Redoing it from its own files: the recorded JSON is the same variant.
    expect(parseVariantArg(JSON.stringify(json.variants['my-shift']))).toEqual(parseVariantArg(JSON.stringify(custom)));
    // A train-agent run records the variant it trained on.
    const agent = JSON.parse(fs.readFileSync(path.join(runs.oracle0, 'config.json'), 'utf8')) as { variants: Record<string, VariantInput> };
    expect(agent.variants).toEqual({ source: variantToJson(getVariant('source')) });
  });

  it('a custom variant cannot be reported under a built-in name', async () => {
    const builtin = variantNames().find((n) => n !== 'source')!;
    const impostor = JSON.stringify({ extends: 'source', name: builtin, orientations: [7.5], heldOut: ['orientation'] });
    await expect(runTransfer({ policies: [runs.oracle0], variants: [impostor] })).rejects.toThrow(new RegExp(`name: '${builtin}' is a built-in variant's name`));
  });

  it('reserves built-in names in any letter case (issue 21.6)', async () => {
    const impostor = JSON.stringify({ extends: 'color-shift', name: 'Color-Shift', scales: [5] });
    await expect(runTransfer({ policies: [runs.oracle0], variants: ['source', impostor] })).rejects.toThrow(/name: 'Color-Shift' is the built-in variant 'color-shift' in another letter case/);
  });

  it('compares variants by definition: a renamed copy of source was seen by the vision and the policy (issue 21.6)', async () => {
    const file = path.join(tmp, 'mine.json');
    fs.writeFileSync(file, JSON.stringify({ ...variantToJson(getVariant('source')), name: 'mine', description: 'my copy' }));
    const quick = { episodes: 1, seeds: [0], modes: ['deterministic' as const] };
    const r = await runTransfer({ policies: [runs.oracle0, runs.darla], variants: ['source', file], ...quick });
    const row = (agent: string) => r.rows.find((x) => x.agent === agent && x.variant === 'mine')!;
    expect(row('oracle').policySaw).toBe('yes');
    expect(row('darla').policySaw).toBe('yes');
    expect(row('darla').visionSaw).toBe('yes');
    // An encoder that saw a file's variant records its name and definition: transferring to that file, the vision saw it.
    const shifted = path.join(tmp, 'my-bg.json');
    fs.writeFileSync(shifted, JSON.stringify({ extends: 'source', name: 'my-bg', background: ['#ffffff'], heldOut: ['background'] }));
    const defs = variantDefinitions(['source', shifted]);
    const vae = writeRandomVae(path.join(tmp, 'vae-file'), 7, { seenVariants: Object.keys(defs), seenDefinitions: defs });
    const agent = path.join(tmp, 'darla-file');
    await trainAgent({ ...tiny, frontend: 'darla', vae }, { runDir: agent });
    const t = await runTransfer({ policies: [agent], variants: [shifted], ...quick });
    expect(t.rows.find((x) => x.variant === 'my-bg')!.visionSaw).toBe('yes');
    expect(t.rows.find((x) => x.variant === 'my-bg')!.policySaw).toBe('no');
  });

  it('a run moved or copied with its encoder still transfers and plays; a lost encoder names --vae (issue 13.5)', async () => {
    const home = path.join(tmp, 'portable');
    const vae = writeRandomVae(path.join(home, 'vision'), 5);
    const agent = path.join(home, 'agents', 'darla');
    await trainAgent({ ...tiny, frontend: 'darla', vae }, { runDir: agent });
    const moved = path.join(tmp, 'portable-moved');
    fs.renameSync(home, moved);
    const policies = [path.join(moved, 'agents', 'darla')];
    const quick = { variants: ['source'], episodes: 1, seeds: [0], modes: ['deterministic' as const] };
    expect((await runTransfer({ policies, ...quick })).rows).toHaveLength(1);
    const viewed = loadViewerModels({ agent: policies[0], seed: 0 });
    expect(viewed.describe).toContain(path.join(moved, 'vision'));
    // The encoder is gone: the message says where it looked and that --vae can point to it.
    const kept = path.join(tmp, 'encoder-elsewhere');
    fs.renameSync(path.join(moved, 'vision'), kept);
    const err = await runTransfer({ policies, ...quick }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).field).toBe('--vae');
    expect((err as Error).message).toMatch(/trained with encoder [0-9a-f]+, recorded at \.\.\/\.\.\/vision\/checkpoints\/.* \(relative to its run\), but nothing is at .*Pass --vae <pretraining run or checkpoint> to point to that encoder/);
    expect(() => loadPolicy(policies[0])).toThrow(/Pass --vae/);
    expect((await runTransfer({ policies, vae: kept, ...quick })).rows).toHaveLength(1);
  });

  it('refuses an unknown variant, listing the known ones', async () => {
    await expect(runTransfer({ policies: [runs.oracle0], variants: ['colour-shift'] })).rejects.toThrow(/unknown variant 'colour-shift'; known variants: source, color-shift/);
  });

  it('refuses a target whose claimed held-out factor overlaps the training variant', async () => {
    const fake = JSON.stringify({ extends: 'source', name: 'fake-bg', heldOut: ['background'] });
    const err = await runTransfer({ policies: [runs.oracle0], variants: [fake] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/fake-bg.*background.*shares/s);
  });

  it('refuses a policy paired with a different encoder', async () => {
    const err = await runTransfer({ policies: [runs.darla], variants: ['source'], vae: vaeB }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/trained with encoder [0-9a-f]+ .*holds encoder [0-9a-f]+/);
    expect(() => loadPolicy(runs.darla, { vae: vaeB })).toThrow(/trained with encoder/);
  });

  it('refuses a policy trained on another observation space', async () => {
    await expect(runTransfer({ policies: [runs.cartpole] })).rejects.toThrow(/trained on CartPole-v1/);
    // The front-end check itself: a 4-float state policy cannot run on 64×64×3 frames.
    const trained = createFrontend('state', { obsSpace: new Box(-1, 1, [4], 'float32') }).record;
    const now = { ...trained, obsShape: [64, 64, 3], inputShape: [64 * 64 * 3] };
    expect(frontendMismatch(trained, now)).toMatch(/trained on 4 observations, this env gives 64×64×3/);
  });
});

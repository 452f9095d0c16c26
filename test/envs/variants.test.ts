import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../envs/core/errors.ts';
import { userError } from './helpers.ts';
import { parseVariantArg } from '../../envs/shapeworld/variant-arg.ts';
import {
  assertHeldOut,
  checkHeldOut,
  getVariant,
  listVariants,
  parseVariantConfig,
  variantNames,
  variantToJson,
  type Variant,
} from '../../envs/shapeworld/variants.ts';

describe('named variants', () => {
  it('exist, round-trip through JSON, and keep every factor small', () => {
    expect(variantNames()).toEqual(['source', 'color-shift', 'background-shift', 'scale-shift', 'distractor', 'recombination']);
    for (const v of listVariants()) {
      expect(parseVariantConfig(JSON.parse(JSON.stringify(variantToJson(v))))).toEqual(v);
      expect(v.goal.shape).toBe('heart');
      expect(v.hazard.shape).toBe('triangle');
    }
  });

  it('really hold out what they claim (checkHeldOut against the source)', () => {
    const source = getVariant('source');
    for (const v of listVariants().slice(1)) {
      const r = checkHeldOut(source, v);
      expect(v.heldOut.length, v.name).toBeGreaterThan(0);
      expect(r.ok, `${v.name}: ${r.problems.join('; ')}`).toBe(true);
      expect(r.checks.map((c) => c.factor)).toEqual(v.heldOut);
    }
    // Recombination re-uses the source colours, only in swapped roles.
    const rec = getVariant('recombination');
    expect(new Set([...rec.goal.colors, ...rec.hazard.colors].map(String))).toEqual(new Set([...source.goal.colors, ...source.hazard.colors].map(String)));
  });

  it('catches false held-out claims and task changes', () => {
    const source = getVariant('source');
    const liar: Variant = { ...getVariant('color-shift'), heldOut: ['goal_color', 'background'] };
    const r = checkHeldOut(source, liar);
    expect(r.ok).toBe(false);
    expect(r.checks.find((c) => c.factor === 'background')?.overlap).toEqual(['#000000', '#1d1d3b', '#2e1f14']);
    expect(r.problems[0]).toMatch(/background: target 'color-shift' claims it held out but shares #000000/);
    const noDistractors: Variant = { ...source, name: 'x', heldOut: ['distractors'] };
    expect(checkHeldOut(source, noDistractors).problems[0]).toMatch(/has no distractors/);
    const otherTask: Variant = { ...source, name: 'y', goal: { ...source.goal, shape: 'ring' } };
    expect(checkHeldOut(source, otherTask).problems[0]).toMatch(/task differs/);
    expect(() => assertHeldOut(source, liar)).toThrow(UserError);
  });
});

describe('variant configs', () => {
  const base = () => JSON.parse(JSON.stringify(variantToJson(getVariant('source'))));

  it('accepts hex and [r, g, b] colours and fills defaults', () => {
    const v = parseVariantConfig({ ...base(), name: 'mine', background: [[1, 2, 3]], gridSize: undefined, distractors: undefined, heldOut: undefined });
    expect(v.background).toEqual([[1, 2, 3]]);
    expect(v.gridSize).toBe(8);
    expect(v.distractors.count).toBe(0);
    expect(v.heldOut).toEqual([]);
  });

  it('rejects bad fields with a message naming the field path', () => {
    const cases: [(b: Record<string, any>) => void, string, RegExp][] = [
      [(b) => (b.goal.colors[2] = '#ff00'), 'goal.colors[2]', /goal.colors\[2\]: expected a colour/],
      [(b) => (b.background[1] = [0, 0, 256]), 'background[1]', /background\[1\]: expected a colour/],
      [(b) => (b.hazard.shape = 'star'), 'hazard.shape', /hazard.shape: expected one of the shapes square, ellipse/],
      [(b) => (b.hazard.shape = 'heart'), 'hazard.shape', /must differ from goal.shape/],
      [(b) => (b.scales = [6, 20]), 'scales[1]', /scales\[1\]: Too big/],
      [(b) => (b.scales = [6, 6]), 'scales[1]', /scales\[1\]: duplicate of scales\[0\]/],
      [(b) => (b.gridSize = 9), 'gridSize', /gridSize: Too big/],
      [(b) => (b.colour = 'red'), '(root)', /unknown key\(s\) 'colour'/],
      [(b) => (b.goal.colour = []), 'goal', /goal: unknown key\(s\) 'colour'/],
      [(b) => (b.heldOut = ['shape']), 'heldOut[0]', /heldOut\[0\]/],
      [(b) => (b.distractors = { count: 2, shape: 'heart', colors: ['#ffffff'] }), 'distractors.shape', /distractors.shape: must differ/],
      [(b) => delete b.orientations, 'orientations', /orientations/],
      [(b) => (b.name = 'has space'), 'name', /name: expected a name/],
    ];
    for (const [mutate, field, message] of cases) {
      const b = base();
      mutate(b);
      const err = userError(() => parseVariantConfig(b, 'variant'));
      expect(err.field, field).toBe(field);
      expect(err.message).toMatch(message);
    }
  });

  it('extends a named variant', () => {
    const v = parseVariantConfig({ extends: 'source', scales: [9] });
    expect(v.name).toBe('custom');
    expect(v.scales).toEqual([9]);
    expect(v.background).toEqual(getVariant('source').background);
    expect(() => parseVariantConfig({ extends: 'nope' })).toThrow(/extends: expected one of the named variants source/);
  });
});

describe('parseVariantArg', () => {
  it('takes a name, inline JSON or a JSON file, and explains every failure', () => {
    expect(parseVariantArg('scale-shift').name).toBe('scale-shift');
    expect(parseVariantArg('{"extends": "source", "name": "big", "scales": [11]}').scales).toEqual([11]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'variant-'));
    const file = path.join(dir, 'v.json');
    fs.writeFileSync(file, JSON.stringify({ ...variantToJson(getVariant('source')), name: 'from-file', gridSize: 6 }));
    expect(parseVariantArg(file).gridSize).toBe(6);
    fs.writeFileSync(file, '{"extends": "source", "goal": {"shape": "heart", "colors": ["#fff"]}}');
    expect(userError(() => parseVariantArg(file)).message).toMatch(/variant file .*v.json: goal.colors\[0\]/);
    fs.rmSync(dir, { recursive: true });
    expect(userError(() => parseVariantArg('nope')).message).toMatch(/unknown variant 'nope'; known variants: source, color-shift/);
    expect(userError(() => parseVariantArg('missing.json')).message).toMatch(/does not exist/);
    expect(userError(() => parseVariantArg('{"name": ')).message).toMatch(/not valid JSON/);
  });
});

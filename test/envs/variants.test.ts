import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../envs/core/errors.ts';
import { userError } from './helpers.ts';
import { deltaE76 } from '../../envs/shapeworld/color-distance.ts';
import { SHAPES } from '../../envs/shapeworld/shapes.ts';
import { parseVariantArg } from '../../envs/shapeworld/variant-arg.ts';
import {
  HELD_OUT_MIN_DEGREES,
  HELD_OUT_MIN_DELTA_E,
  MAX_SCALE,
  MIN_SCALE,
  toHex,
  type Rgb,
  assertHeldOut,
  checkHeldOut,
  getVariant,
  listVariants,
  parseVariantConfig,
  sameTask,
  transferVariantNames,
  variantNames,
  variantToJson,
  type Variant,
} from '../../envs/shapeworld/variants.ts';

describe('named variants', () => {
  it('exist, round-trip through JSON, and keep every factor small', () => {
    expect(variantNames()).toEqual(['source', 'color-shift', 'background-shift', 'scale-shift', 'distractor', 'recombination', 'source-ego', 'classic']);
    expect(transferVariantNames()).toEqual(['source', 'color-shift', 'background-shift', 'scale-shift', 'distractor', 'recombination']);
    for (const v of listVariants()) {
      expect(parseVariantConfig(JSON.parse(JSON.stringify(variantToJson(v))))).toEqual(v);
      const classic = v.name === 'classic';
      expect(v.goal.shape).toBe(classic ? 'heart' : 'square');
      expect(v.hazard.shape).toBe(classic ? 'triangle' : 'ring');
      expect(v.gridSize).toBe(classic ? 8 : 5);
      expect(v.view).toBe(v.name === 'source-ego' ? 'ego' : 'top');
      expect(sameTask(getVariant('source'), v)).toBe(!classic && v.name !== 'source-ego');
    }
  });

  it('really hold out what they claim (checkHeldOut against the source)', () => {
    const source = getVariant('source');
    for (const v of transferVariantNames().slice(1).map(getVariant)) {
      const r = checkHeldOut(source, v);
      expect(v.heldOut.length, v.name).toBeGreaterThan(0);
      expect(r.ok, `${v.name}: ${r.problems.join('; ')}`).toBe(true);
      expect(r.checks.map((c) => c.factor)).toEqual(v.heldOut);
    }
    // Recombination re-uses the source colours, only in swapped roles.
    const rec = getVariant('recombination');
    expect(new Set([...rec.goal.colors, ...rec.hazard.colors].map(String))).toEqual(new Set([...source.goal.colors, ...source.hazard.colors].map(String)));
    // The first world is kept as its own task, never a transfer target of the source.
    expect(checkHeldOut(source, getVariant('classic')).problems[0]).toMatch(/task differs: source is a 5×5 board \(top view\) .* target's is 8×8/);
    expect(checkHeldOut(source, getVariant('source-ego')).problems[0]).toMatch(/task differs: .*target's is 5×5 \(ego view\)/);
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

describe('held out means perceptibly different (issue 13.6)', () => {
  // Built from whatever the source is today, so the rules are tested, not today's palettes.
  const source = getVariant('source');
  const derive = (patch: Record<string, unknown>): Variant => parseVariantConfig({ ...variantToJson(source), name: 'probe', ...patch });
  const nudge = (c: readonly number[]) => toHex([c[0] < 255 ? c[0] + 1 : c[0] - 1, c[1], c[2]] as unknown as Rgb);
  /** A colour at least the threshold away from every given one (searched on a coarse RGB grid). */
  const farColor = (from: readonly Rgb[]) => {
    for (const r of [0, 64, 128, 192, 255]) for (const g of [0, 64, 128, 192, 255]) for (const b of [0, 64, 128, 192, 255]) {
      const c: Rgb = [r, g, b];
      if (from.every((f) => deltaE76(c, f) >= 2 * HELD_OUT_MIN_DELTA_E)) return toHex(c);
    }
    throw new Error('no far colour');
  };

  it('colours 1/255 apart, angles 0.01° apart, scales a fraction of a pixel apart are not held out', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ goal: { shape: source.goal.shape, colors: source.goal.colors.map(nudge) }, heldOut: ['goal_color'] }, /goal_color: .* is too close to .*ΔE\*ab 0\.\d.*held out needs colours at least ΔE\*ab 10 apart/],
      [{ hazard: { shape: source.hazard.shape, colors: source.hazard.colors.map(nudge) }, heldOut: ['hazard_color'] }, /hazard_color: .* is too close to/],
      [{ background: source.background.map(nudge), heldOut: ['background'] }, /background: .* is too close to/],
      [{ orientations: source.orientations.map((o) => o + 0.01), heldOut: ['orientation'] }, /orientation: .* is too close to .*0\.01°.*at least 15° apart/],
      [{ orientations: source.orientations.map((o) => (o >= 0 ? o - 360 : o + 360)), heldOut: ['orientation'] }, /orientation: .* shares/],
      [{ scales: source.scales.map((x) => x + 0.25), heldOut: ['scale'] }, /scale: .* is too close to .*0\.25 px/],
    ];
    for (const [patch, message] of cases) {
      const r = checkHeldOut(source, derive(patch));
      expect(r.ok, JSON.stringify(patch)).toBe(false);
      expect(r.problems.join('\n')).toMatch(message);
      expect(r.checks[0].overlap.length).toBeGreaterThan(0);
    }
  });

  it('clearly different values are held out', () => {
    const circular = (a: number, b: number) => Math.abs((((a - b) % 360) + 540) % 360 - 180);
    const angle = [...Array(360).keys()].find((a) => source.orientations.every((o) => circular(a, o) >= 2 * HELD_OUT_MIN_DEGREES));
    const scale = [...Array(2 * (MAX_SCALE - MIN_SCALE) + 1).keys()].map((i) => MIN_SCALE + i / 2).find((x) => source.scales.every((s) => Math.abs(x - s) >= Math.max(2, 0.2 * Math.max(x, s))));
    const patch: Record<string, unknown> = {
      goal: { shape: source.goal.shape, colors: [farColor([...source.goal.colors])] },
      hazard: { shape: source.hazard.shape, colors: [farColor([...source.hazard.colors])] },
      background: [farColor([...source.background])],
      heldOut: ['goal_color', 'hazard_color', 'background'],
    };
    // Orientations and scales too, when the source leaves room for a clearly different one.
    if (angle !== undefined) Object.assign(patch, { orientations: [angle], heldOut: [...(patch.heldOut as string[]), 'orientation'] });
    if (scale !== undefined) Object.assign(patch, { scales: [scale], heldOut: [...(patch.heldOut as string[]), 'scale'] });
    const r = checkHeldOut(source, derive(patch));
    expect(r.problems).toEqual([]);
    expect(r.checks.every((c) => c.ok)).toBe(true);
  });

  it('distractors: another shape is new; the same shape needs a perceptibly different colour', () => {
    const spare = SHAPES.filter((s) => s !== source.goal.shape && s !== source.hazard.shape);
    const c: Rgb = [120, 120, 120];
    const withDistractor = derive({ distractors: { count: 1, shape: spare[0], colors: [toHex(c)] } });
    const sameShapeNear = derive({ distractors: { count: 1, shape: spare[0], colors: [nudge(c)] }, heldOut: ['distractors'] });
    expect(checkHeldOut(withDistractor, sameShapeNear).problems.join()).toMatch(/distractors: .* is too close to .*the same shape/);
    const otherShape = derive({ distractors: { count: 1, shape: spare[1], colors: [toHex(c)] }, heldOut: ['distractors'] });
    expect(checkHeldOut(withDistractor, otherShape).ok).toBe(true);
  });

  it('a custom variant may not take a built-in name, unless it is exactly that variant', () => {
    for (const name of variantNames()) {
      const v = getVariant(name);
      const impostor = JSON.stringify({ ...variantToJson(v), orientations: [7.5] });
      expect(userError(() => parseVariantArg(impostor)).message).toMatch(new RegExp(`name: '${name}' is a built-in variant's name and this definition differs from it; give your variant its own "name"`));
      expect(userError(() => parseVariantArg(JSON.stringify({ extends: 'source', name, orientations: [7.5] }))).field).toBe('name');
      expect(parseVariantArg(JSON.stringify(variantToJson(v)))).toEqual(v);
    }
  });
});

describe('variant configs', () => {
  const base = () => JSON.parse(JSON.stringify(variantToJson(getVariant('source'))));

  it('accepts hex and [r, g, b] colours and fills defaults', () => {
    const v = parseVariantConfig({ ...base(), name: 'mine', background: [[1, 2, 3]], gridSize: undefined, distractors: undefined, heldOut: undefined });
    expect(v.background).toEqual([[1, 2, 3]]);
    expect(v.gridSize).toBe(5);
    expect(v.distractors.count).toBe(0);
    expect(v.heldOut).toEqual([]);
  });

  it('rejects bad fields with a message naming the field path', () => {
    const cases: [(b: Record<string, any>) => void, string, RegExp][] = [
      [(b) => (b.goal.colors[2] = '#ff00'), 'goal.colors[2]', /goal.colors\[2\]: expected a colour/],
      [(b) => (b.background[1] = [0, 0, 256]), 'background[1]', /background\[1\]: expected a colour/],
      [(b) => (b.hazard.shape = 'star'), 'hazard.shape', /hazard.shape: expected one of the shapes square, ellipse/],
      [(b) => (b.hazard.shape = 'square'), 'hazard.shape', /must differ from goal.shape/],
      [(b) => (b.scales = [6, 20]), 'scales[1]', /scales\[1\]: Too big/],
      [(b) => (b.scales = [6, 6]), 'scales[1]', /scales\[1\]: duplicate of scales\[0\]/],
      [(b) => (b.gridSize = 9), 'gridSize', /gridSize: Too big/],
      [(b) => (b.colour = 'red'), '(root)', /unknown key\(s\) 'colour'/],
      [(b) => (b.goal.colour = []), 'goal', /goal: unknown key\(s\) 'colour'/],
      [(b) => (b.heldOut = ['shape']), 'heldOut[0]', /heldOut\[0\]/],
      [(b) => (b.distractors = { count: 2, shape: 'ring', colors: ['#ffffff'] }), 'distractors.shape', /distractors.shape: must differ/],
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

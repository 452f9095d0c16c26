/**
 * Variants of the shape world: plain, JSON-serialisable configs (palettes per role, background
 * colours, object scales and orientations, distractor objects, grid size, which shape is the goal
 * and which the hazard). Named variants are registered here; any other variant is a JSON object
 * validated by one zod schema, with errors that name the field path (`goal.colors[2]`).
 *
 * The transfer story (DARLA): the goal/hazard identity is carried by SHAPE; colour, background,
 * scale and distractors are nuisance factors that variants shift. Each non-source variant declares
 * which factors it holds out, and `checkHeldOut(source, target)` verifies that those factor values
 * really never occur in the source — nor anything too close to them to see the difference.
 */
import { z } from 'zod';
import { UserError } from '../core/errors.ts';
import { deltaE76 } from './color-distance.ts';
import { SHAPES, type ShapeName } from './shapes.ts';

export type Rgb = readonly [number, number, number];

/** Factors a variant can declare held out (absent from the source), plus 'distractors' (objects the source never shows). */
export const HELD_OUT_FACTORS = ['goal_color', 'hazard_color', 'background', 'scale', 'orientation', 'distractors'] as const;
export type HeldOutFactor = (typeof HELD_OUT_FACTORS)[number];

/** Object sizes (side of the shape's box, pixels) a variant may use; cells are 64/gridSize px (12 on the 5×5 source board). */
export const MIN_SCALE = 3;
export const MAX_SCALE = 16;
export const MAX_DISTRACTORS = 4;
/** 3 allows the small agent-centred board whose 5×5-cell window keeps 12-px cells (docs/vision.md, round three). */
export const MIN_GRID = 3;
export const MAX_GRID = 8;
/** The views a variant can be drawn in (envs/shapeworld/factors.ts boardGeometry). */
export const VIEWS = ['top', 'ego'] as const;
export type View = (typeof VIEWS)[number];

/** The board of a variant that does not say (the source's). */
export const DEFAULT_GRID = 5;
/** At most this many values per list, so every factor stays small (≤ 32 values). */
export const MAX_VALUES = 16;

const channel = z.int().min(0).max(255);
const ColorSchema = z.union(
  [
    z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/)
      .transform((s): Rgb => [parseInt(s.slice(1, 3), 16), parseInt(s.slice(3, 5), 16), parseInt(s.slice(5, 7), 16)]),
    z.tuple([channel, channel, channel]).transform((t): Rgb => [t[0], t[1], t[2]]),
  ],
  { error: "expected a colour: '#rrggbb' or [r, g, b] with integers 0..255" },
);
const ShapeSchema = z.enum(SHAPES, { error: `expected one of the shapes ${SHAPES.join(', ')}` });
const colorList = z.array(ColorSchema).min(1).max(MAX_VALUES);

const RoleSchema = z.strictObject({
  shape: ShapeSchema,
  colors: colorList,
});

const DistractorSchema = z.strictObject({
  count: z.int().min(0).max(MAX_DISTRACTORS),
  shape: ShapeSchema,
  colors: colorList,
});

export const VariantSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9+._-]*$/, { error: 'expected a name of letters, digits, +, ., _ or -' }),
    description: z.string().default(''),
    gridSize: z.int().min(MIN_GRID).max(MAX_GRID).default(DEFAULT_GRID),
    /**
     * How the frame shows the board: 'top' (the whole board, fixed) or 'ego' (agent-centred: a window
     * of 2·gridSize − 1 cells whose centre is the agent, off-board cells drawn grey, no agent sprite).
     */
    view: z.enum(VIEWS).default('top'),
    background: colorList,
    goal: RoleSchema,
    hazard: RoleSchema,
    distractors: DistractorSchema.default(() => ({ count: 0, shape: 'square' as const, colors: [[128, 128, 128] as Rgb] })),
    scales: z.array(z.number().min(MIN_SCALE).max(MAX_SCALE)).min(1).max(MAX_VALUES),
    orientations: z.array(z.number().min(-360).max(360)).min(1).max(MAX_VALUES),
    heldOut: z.array(z.enum(HELD_OUT_FACTORS)).default([]),
  })
  .superRefine((v, ctx) => {
    if (v.goal.shape === v.hazard.shape) {
      ctx.addIssue({ code: 'custom', path: ['hazard', 'shape'], message: `must differ from goal.shape ('${v.goal.shape}'): shape tells goal from hazard` });
    }
    if (v.distractors.count > 0 && (v.distractors.shape === v.goal.shape || v.distractors.shape === v.hazard.shape)) {
      ctx.addIssue({ code: 'custom', path: ['distractors', 'shape'], message: `must differ from the goal and hazard shapes ('${v.goal.shape}', '${v.hazard.shape}')` });
    }
    const lists: [string[], readonly unknown[]][] = [
      [['background'], v.background],
      [['goal', 'colors'], v.goal.colors],
      [['hazard', 'colors'], v.hazard.colors],
      [['distractors', 'colors'], v.distractors.colors],
      [['scales'], v.scales],
      [['orientations'], v.orientations],
      [['heldOut'], v.heldOut],
    ];
    for (const [path, list] of lists) {
      const seen = new Map<string, number>();
      list.forEach((x, i) => {
        const key = JSON.stringify(x);
        const first = seen.get(key);
        if (first !== undefined) ctx.addIssue({ code: 'custom', path: [...path, i], message: `duplicate of ${fieldPath([...path, first])}` });
        else seen.set(key, i);
      });
    }
    const cells = v.gridSize * v.gridSize;
    if (cells < 3 + v.distractors.count) {
      ctx.addIssue({ code: 'custom', path: ['gridSize'], message: `${v.gridSize}×${v.gridSize} has no room for the agent, goal, hazard and ${v.distractors.count} distractors` });
    }
  });

/** A validated variant (colours as [r, g, b]). */
export type Variant = z.output<typeof VariantSchema>;
/** What a variant looks like in JSON (colours may be '#rrggbb' or [r, g, b]; defaults may be omitted). */
export type VariantInput = z.input<typeof VariantSchema>;

/** `['goal', 'colors', 2]` → `goal.colors[2]`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? String(p) : `.${String(p)}`;
  return s === '' ? '(root)' : s;
}

export function toHex(c: Rgb): string {
  return `#${c.map((x) => x.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * Validates a variant config. An object with `extends: '<named variant>'` starts from that variant
 * and overrides its top-level keys (name defaults to 'custom'). `origin` names where the config came
 * from in error messages. Throws UserError naming the first bad field.
 */
export function parseVariantConfig(raw: unknown, origin = 'variant'): Variant {
  let input = raw;
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && 'extends' in raw) {
    const { extends: base, ...rest } = raw as Record<string, unknown>;
    if (typeof base !== 'string' || !NAMED.has(base)) {
      throw new UserError(`${origin}: extends: expected one of the named variants ${[...NAMED.keys()].join(', ')}, got ${JSON.stringify(base)}`, 'extends');
    }
    input = { ...variantToJson(getVariant(base)), name: 'custom', ...rest };
  }
  const r = VariantSchema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues;
  const first = fieldPath(issues[0].path);
  const text = issues
    .slice(0, 5)
    .map((i) => `${fieldPath(i.path)}: ${i.code === 'unrecognized_keys' ? `unknown key(s) ${i.keys.map((k) => `'${k}'`).join(', ')}` : i.message}`)
    .join('; ');
  throw new UserError(`${origin}: ${text}${issues.length > 5 ? ` (and ${issues.length - 5} more)` : ''}`, first);
}

/** The JSON form of a variant (colours as '#rrggbb'); parseVariantConfig(variantToJson(v)) equals v. */
export function variantToJson(v: Variant): VariantInput {
  const role = (r: { shape: ShapeName; colors: readonly Rgb[] }) => ({ shape: r.shape, colors: r.colors.map(toHex) });
  return {
    name: v.name,
    description: v.description,
    gridSize: v.gridSize,
    // Only a non-default view is written, so the definitions recorded by earlier runs still match.
    ...(v.view !== 'top' ? { view: v.view } : {}),
    background: v.background.map(toHex),
    goal: role(v.goal),
    hazard: role(v.hazard),
    distractors: { count: v.distractors.count, ...role(v.distractors) },
    scales: [...v.scales],
    orientations: [...v.orientations],
    heldOut: [...v.heldOut],
  };
}

// ---- the named variants -----------------------------------------------------------------------

const SOURCE_GOAL = ['#e6194b', '#f58231', '#ffe119']; // red, orange, yellow
const SOURCE_HAZARD = ['#4363d8', '#42d4f4', '#911eb4']; // blue, cyan, purple

/**
 * The training world. A 5×5 board fills the frame (12-px cells) and every object is as large as a
 * cell, so a β-VAE trained for minutes on two CPU cores sees them: on the old 8×8 board with 9–11 px
 * objects, three scales and four orientations it encoded the background and blurred blobs, never
 * which object was which (docs/vision.md). Shape tells goal from hazard — a filled square against a
 * hollow ring, a large low-frequency difference; colour, background, scale and distractors are the
 * nuisances the variants shift.
 */
const SOURCE: VariantInput = {
  name: 'source',
  description: 'the training world: goal squares in warm colours, hazard rings in cool colours, dark backgrounds, a 5×5 board',
  gridSize: 5,
  background: ['#000000', '#1d1d3b', '#2e1f14'],
  goal: { shape: 'square', colors: SOURCE_GOAL },
  hazard: { shape: 'ring', colors: SOURCE_HAZARD },
  distractors: { count: 0, shape: 'diamond', colors: ['#808080'] },
  scales: [12],
  orientations: [0],
  heldOut: [],
};

const NAMED_INPUTS: VariantInput[] = [
  SOURCE,
  {
    ...SOURCE,
    name: 'color-shift',
    description: 'object colours from a palette disjoint from the source (goal and hazard)',
    goal: { ...SOURCE.goal, colors: ['#3cb44b', '#f032e6', '#fabed4'] }, // green, magenta, pink
    hazard: { ...SOURCE.hazard, colors: ['#bfef45', '#469990', '#dcbeff'] }, // lime, teal, lavender
    heldOut: ['goal_color', 'hazard_color'],
  },
  {
    ...SOURCE,
    name: 'background-shift',
    description: 'mid-tone background colours never seen in the source',
    background: ['#4b5d3a', '#5a4a5e', '#3e5866'],
    heldOut: ['background'],
  },
  {
    ...SOURCE,
    name: 'scale-shift',
    description: 'objects much smaller or larger than in the source',
    scales: [7, 16],
    heldOut: ['scale'],
  },
  {
    ...SOURCE,
    name: 'distractor',
    description: 'two extra non-rewarding diamonds, coloured like the source goals and hazards',
    distractors: { count: 2, shape: 'diamond', colors: [...SOURCE_GOAL, ...SOURCE_HAZARD] },
    heldOut: ['distractors'],
  },
  {
    ...SOURCE,
    name: 'recombination',
    description: 'colour roles swapped: goals only in the source hazard colours, hazards in the source goal colours',
    goal: { ...SOURCE.goal, colors: SOURCE_HAZARD },
    hazard: { ...SOURCE.hazard, colors: SOURCE_GOAL },
    heldOut: ['goal_color', 'hazard_color'],
  },
  {
    ...SOURCE,
    name: 'source-ego',
    description: 'the source world seen agent-centred (its own task, not a transfer target of source): a 9×9-cell window of 6-px cells around the agent, off-board cells grey, 12-px objects',
    view: 'ego',
  },
  {
    ...SOURCE,
    name: 'classic',
    description: 'the first, harder world (its own task, not a transfer target of source): an 8×8 board of 8-px cells, goal hearts and hazard triangles of 9–11 px in four orientations',
    gridSize: 8,
    goal: { shape: 'heart', colors: SOURCE_GOAL },
    hazard: { shape: 'triangle', colors: SOURCE_HAZARD },
    distractors: { count: 0, shape: 'square', colors: ['#808080'] },
    scales: [9, 10, 11],
    orientations: [0, 90, 180, 270],
  },
];

const NAMED = new Map<string, Variant>(NAMED_INPUTS.map((v) => [v.name, parseVariantConfig(v, `named variant '${v.name}'`)]));

/** The named variants, source first. */
export function listVariants(): Variant[] {
  return [...NAMED.values()];
}

/** Do two variants pose the same task (same board and view, same goal and hazard shapes)? Transfer compares only those. */
export function sameTask(a: Variant, b: Variant): boolean {
  return a.gridSize === b.gridSize && a.view === b.view && a.goal.shape === b.goal.shape && a.hazard.shape === b.hazard.shape;
}

/** The named variants that pose the source's task: the transfer targets (source first). */
export function transferVariantNames(): string[] {
  const source = getVariant('source');
  return listVariants()
    .filter((v) => sameTask(source, v))
    .map((v) => v.name);
}

export function variantNames(): string[] {
  return [...NAMED.keys()];
}

/** A named variant; an unknown name is a UserError listing the known ones. */
export function getVariant(name: string): Variant {
  const v = NAMED.get(name);
  if (v === undefined) throw new UserError(`unknown variant '${name}'; known variants: ${variantNames().join(', ')}`, 'variant');
  return v;
}

/** A variant given as a name, a JSON object or a validated Variant. */
export type VariantLike = string | Variant | VariantInput;

export function resolveVariant(v: VariantLike): Variant {
  if (typeof v === 'string') return getVariant(v);
  return parseVariantConfig(v);
}

// ---- held-out checks --------------------------------------------------------------------------

/**
 * A held-out value must differ perceptibly from every source value of its factor — what a viewer
 * (and an encoder) can see, not a rounding error:
 * - colours (goal, hazard, background; distractor colours): CIE76 ΔE*ab at least HELD_OUT_MIN_DELTA_E
 *   in CIELAB (D65) — about 2.3 is one just-noticeable difference, so 10 is a clearly other colour;
 * - orientations: at least HELD_OUT_MIN_DEGREES apart on the circle (angles mod 360);
 * - scales: at least HELD_OUT_MIN_SCALE_PX pixels and HELD_OUT_MIN_SCALE_RATIO of the larger apart;
 * - distractors, (shape, colour) objects: another shape than every source distractor, or the same
 *   shape in a colour ΔE*ab ≥ HELD_OUT_MIN_DELTA_E from that shape's source colours.
 * (A rotation a shape's symmetry maps onto itself is not detected: angles are compared as numbers.)
 */
export const HELD_OUT_MIN_DELTA_E = 10;
export const HELD_OUT_MIN_DEGREES = 15;
export const HELD_OUT_MIN_SCALE_PX = 1;
export const HELD_OUT_MIN_SCALE_RATIO = 0.1;

export interface HeldOutCheck {
  factor: HeldOutFactor;
  sourceValues: string[];
  targetValues: string[];
  /** Target values equal to, or not perceptibly different from, a source value (must be empty). */
  overlap: string[];
  ok: boolean;
}

export interface HeldOutReport {
  source: string;
  target: string;
  ok: boolean;
  checks: HeldOutCheck[];
  /** Human-readable reasons when ok is false. */
  problems: string[];
}

/** One factor's values and when two of them are too close to tell apart. */
interface FactorRule<T> {
  values(v: Variant): T[];
  show(x: T): string;
  /** How close `t` is to `s` (e.g. 'ΔE*ab 0.4'), or null when they differ perceptibly. */
  tooClose(t: T, s: T): string | null;
  /** The rule, for messages. */
  rule: string;
}

const angle = (o: number) => ((o % 360) + 360) % 360;

const colorRule = (pick: (v: Variant) => readonly Rgb[]): FactorRule<Rgb> => ({
  values: (v) => [...pick(v)],
  show: toHex,
  tooClose: (t, s) => {
    const d = deltaE76(t, s);
    return d < HELD_OUT_MIN_DELTA_E ? `ΔE*ab ${d.toFixed(1)}` : null;
  },
  rule: `colours at least ΔE*ab ${HELD_OUT_MIN_DELTA_E} apart`,
});

interface DistractorValue {
  shape: ShapeName;
  color: Rgb;
}

function ruleFor(factor: HeldOutFactor): FactorRule<unknown> {
  switch (factor) {
    case 'goal_color':
      return colorRule((v) => v.goal.colors) as FactorRule<unknown>;
    case 'hazard_color':
      return colorRule((v) => v.hazard.colors) as FactorRule<unknown>;
    case 'background':
      return colorRule((v) => v.background) as FactorRule<unknown>;
    case 'scale':
      return {
        values: (v) => [...v.scales],
        show: (x) => String(x),
        tooClose: (t, s) => {
          const d = Math.abs((t as number) - (s as number));
          return d < Math.max(HELD_OUT_MIN_SCALE_PX, HELD_OUT_MIN_SCALE_RATIO * Math.max(t as number, s as number)) ? `${+d.toFixed(3)} px` : null;
        },
        rule: `scales at least ${HELD_OUT_MIN_SCALE_PX} px and ${100 * HELD_OUT_MIN_SCALE_RATIO}% apart`,
      };
    case 'orientation':
      return {
        values: (v) => v.orientations.map(angle),
        show: (x) => String(x),
        tooClose: (t, s) => {
          const d = Math.abs(((((t as number) - (s as number)) % 360) + 540) % 360 - 180);
          return d < HELD_OUT_MIN_DEGREES ? `${+d.toFixed(3)}°` : null;
        },
        rule: `orientations at least ${HELD_OUT_MIN_DEGREES}° apart`,
      };
    case 'distractors':
      // A distractor is a (shape, colour) object; none when count is 0.
      return {
        values: (v): DistractorValue[] => (v.distractors.count === 0 ? [] : v.distractors.colors.map((color) => ({ shape: v.distractors.shape, color }))),
        show: (x) => `${(x as DistractorValue).shape} ${toHex((x as DistractorValue).color)}`,
        tooClose: (t, s) => {
          const [a, b] = [t as DistractorValue, s as DistractorValue];
          if (a.shape !== b.shape) return null;
          const d = deltaE76(a.color, b.color);
          return d < HELD_OUT_MIN_DELTA_E ? `the same shape, ΔE*ab ${d.toFixed(1)}` : null;
        },
        rule: `distractors of another shape, or colours at least ΔE*ab ${HELD_OUT_MIN_DELTA_E} apart`,
      };
  }
}

/**
 * Verifies the target's claims: for each factor in `target.heldOut`, every target value differs
 * perceptibly from every source value (the thresholds above; an exact repeat is named as shared),
 * and for 'distractors' the target really has some. Also checks that the task is the same — the
 * goal and hazard shapes agree — so a transfer result means something.
 */
export function checkHeldOut(source: Variant, target: Variant): HeldOutReport {
  const problems: string[] = [];
  if (!sameTask(source, target)) {
    problems.push(
      `task differs: source is a ${source.gridSize}×${source.gridSize} board (${source.view} view) with goal/hazard shapes ${source.goal.shape}/${source.hazard.shape}, target's is ${target.gridSize}×${target.gridSize} (${target.view} view) with ${target.goal.shape}/${target.hazard.shape}`,
    );
  }
  const claim = `target '${target.name}' claims it held out but`;
  const checks = target.heldOut.map((factor): HeldOutCheck => {
    const rule = ruleFor(factor);
    const src = rule.values(source);
    const tgt = rule.values(target);
    const overlap: string[] = [];
    const shared: string[] = [];
    const near: string[] = [];
    for (const t of tgt) {
      const shown = rule.show(t);
      const close = src.flatMap((s) => {
        const how = rule.tooClose(t, s);
        return how === null ? [] : [`${rule.show(s)} (${how})`];
      });
      if (src.some((s) => rule.show(s) === shown)) shared.push(shown);
      else if (close.length > 0) near.push(`${shown} is too close to ${close.join(', ')}`);
      else continue;
      overlap.push(shown);
    }
    if (shared.length > 0) problems.push(`${factor}: ${claim} shares ${shared.join(', ')} with '${source.name}'`);
    if (near.length > 0) problems.push(`${factor}: ${claim} ${near.join('; ')} in '${source.name}' (held out needs ${rule.rule})`);
    if (tgt.length === 0) problems.push(`${factor}: ${claim} has no ${factor}`);
    return { factor, sourceValues: src.map(rule.show), targetValues: tgt.map(rule.show), overlap, ok: overlap.length === 0 && tgt.length > 0 };
  });
  return { source: source.name, target: target.name, ok: problems.length === 0, checks, problems };
}

/** Like checkHeldOut, but throws a UserError listing the problems. */
export function assertHeldOut(source: Variant, target: Variant): HeldOutReport {
  const r = checkHeldOut(source, target);
  if (!r.ok) throw new UserError(`variant '${target.name}' is not held out from '${source.name}': ${r.problems.join('; ')}`, 'variant');
  return r;
}

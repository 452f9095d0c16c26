/**
 * `--variant` on the command line: a named variant, inline JSON (`{"extends": "source", …}`), or a
 * path to a JSON file. Node-only (reads files), kept apart from variants.ts so that stays pure.
 * A custom variant may not take a built-in variant's name, in any letter case (its results would be
 * reported under it), unless it is exactly that variant. `variantDefinitions` is what a run records
 * of the variants it used: their full JSON, by name, so the run can be redone from its own files.
 * `canonicalVariant` is what makes two variants the same world: their definition without name,
 * description and held-out claims, so a copy of `source` under another name is `source`.
 */
import fs from 'node:fs';
import { UserError } from '../core/errors.ts';
import { stableStringify } from '../util/run-dir.ts';
import { getVariant, parseVariantConfig, variantNames, variantToJson, type Variant, type VariantInput } from './variants.ts';

export function parseVariantArg(arg: string): Variant {
  const text = arg.trim();
  if (variantNames().includes(text)) return getVariant(text);
  if (text.startsWith('{')) return customVariant(parseJson(text, 'inline JSON'), 'variant (inline JSON)');
  const looksLikePath = text.endsWith('.json') || text.includes('/') || text.includes('\\');
  if (fs.existsSync(text) && fs.statSync(text).isFile()) {
    return customVariant(parseJson(fs.readFileSync(text, 'utf8'), `file ${text}`), `variant file ${text}`);
  }
  if (looksLikePath) throw new UserError(`variant file '${text}' does not exist`, 'variant');
  throw new UserError(`unknown variant '${text}'; known variants: ${variantNames().join(', ')} (or give inline JSON or a .json file)`, 'variant');
}

/** A user's JSON variant: validated, and refused when it takes a built-in name for another definition. */
function customVariant(raw: unknown, origin: string): Variant {
  const v = parseVariantConfig(raw, origin);
  const reserved = variantNames().find((n) => n.toLowerCase() === v.name.toLowerCase());
  if (reserved === undefined) return v;
  const builtin = getVariant(reserved);
  if (reserved === v.name && stableStringify(variantToJson(v)) === stableStringify(variantToJson(builtin))) return builtin;
  const which = reserved === v.name ? `a built-in variant's name` : `the built-in variant '${reserved}' in another letter case (names are compared case-insensitively)`;
  throw new UserError(`${origin}: name: '${v.name}' is ${which} and this definition ${reserved === v.name ? 'differs from it' : 'is not that variant'}; give your variant its own "name"`, 'name');
}

/** The world a variant defines, as a string: its definition without name, description and held-out claims. */
export function canonicalVariant(v: Variant): string {
  const { name: _name, description: _description, heldOut: _heldOut, ...world } = variantToJson(v) as Record<string, unknown>;
  return stableStringify(world);
}

/** Whether two variants define the same world (whatever their names). */
export function sameWorld(a: Variant, b: Variant): boolean {
  return canonicalVariant(a) === canonicalVariant(b);
}

/** The full JSON definition of each variant (names, JSON, files or parsed variants), by name. */
export function variantDefinitions(variants: readonly (string | Variant)[]): Record<string, VariantInput> {
  const out: Record<string, VariantInput> = {};
  for (const v of variants) {
    const parsed = typeof v === 'string' ? parseVariantArg(v) : v;
    out[parsed.name] = variantToJson(parsed);
  }
  return out;
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserError(`variant (${where}) is not valid JSON: ${(err as Error).message}`, 'variant');
  }
}

/**
 * `--variant` on the command line: a named variant, inline JSON (`{"extends": "source", …}`), or a
 * path to a JSON file. Node-only (reads files), kept apart from variants.ts so that stays pure.
 */
import fs from 'node:fs';
import { UserError } from '../core/errors.ts';
import { getVariant, parseVariantConfig, variantNames, type Variant } from './variants.ts';

export function parseVariantArg(arg: string): Variant {
  const text = arg.trim();
  if (variantNames().includes(text)) return getVariant(text);
  if (text.startsWith('{')) return parseVariantConfig(parseJson(text, 'inline JSON'), 'variant (inline JSON)');
  const looksLikePath = text.endsWith('.json') || text.includes('/') || text.includes('\\');
  if (fs.existsSync(text) && fs.statSync(text).isFile()) {
    return parseVariantConfig(parseJson(fs.readFileSync(text, 'utf8'), `file ${text}`), `variant file ${text}`);
  }
  if (looksLikePath) throw new UserError(`variant file '${text}' does not exist`, 'variant');
  throw new UserError(`unknown variant '${text}'; known variants: ${variantNames().join(', ')} (or give inline JSON or a .json file)`, 'variant');
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserError(`variant (${where}) is not valid JSON: ${(err as Error).message}`, 'variant');
  }
}

/**
 * The env side of a play session for the registered envs: an EnvFactory that makes
 * `ShapeWorld-v0` (or any registered id) for a variant name, the variant list the page can switch
 * between, and the action names. `--variant` may be a named variant, inline JSON or a .json file
 * (envs' parseVariantArg); a custom one joins the list under its own name.
 */
import '../envs/builtin.ts';
import { UserError } from '../envs/core/errors.ts';
import { make, registeredIds } from '../envs/core/registry.ts';
import { parseVariantArg } from '../envs/shapeworld/variant-arg.ts';
import { listVariants, sameTask, type Variant } from '../envs/shapeworld/variants.ts';
import { ACTIONS } from '../envs/shapeworld/world.ts';
import type { EnvFactory } from './source.ts';

export const SHAPE_WORLD_ID = 'ShapeWorld-v0';

export interface WorldSource {
  makeEnv: EnvFactory;
  /** Variant names the page can switch between (for envs without variants: ['default']). */
  variants: string[];
  /** The variant to start in. */
  start: string;
  /** Action names when the env defines them. */
  actionNames?: string[];
}

export interface WorldSourceOptions {
  envId?: string;
  /** Start variant: a named variant, inline JSON or a path to a JSON file (ShapeWorld only). */
  variant?: string;
  /** Names the page may switch to (default: every named variant with the start variant's task). */
  variants?: string[];
}

export function worldSource(opts: WorldSourceOptions = {}): WorldSource {
  const envId = opts.envId ?? SHAPE_WORLD_ID;
  if (!registeredIds().includes(envId)) {
    throw new UserError(`unknown env '${envId}'; registered envs: ${registeredIds().join(', ')}`, '--env');
  }
  if (envId !== SHAPE_WORLD_ID) {
    if (opts.variant !== undefined || opts.variants !== undefined) {
      throw new UserError(`--variant/--variants apply to ${SHAPE_WORLD_ID} only, not '${envId}'`, '--variant');
    }
    return { makeEnv: () => make<unknown, number>(envId, { renderMode: 'rgb_array' }), variants: ['default'], start: 'default' };
  }
  const configs = new Map<string, Variant>();
  const first = parseVariantArg(opts.variant ?? opts.variants?.[0] ?? 'source');
  // By default the page switches between the named variants that pose the start variant's task.
  for (const name of opts.variants ?? listVariants().filter((v) => sameTask(v, first)).map((v) => v.name)) configs.set(name, parseVariantArg(name));
  const known = configs.get(first.name);
  if (known !== undefined && JSON.stringify(known) !== JSON.stringify(first)) {
    throw new UserError(`the start variant is named '${first.name}' like a listed variant but differs from it; give it another "name"`, '--variant');
  }
  configs.set(first.name, first);
  return {
    makeEnv: (name) => {
      const v = configs.get(name);
      if (v === undefined) throw new UserError(`unknown variant '${name}'; this viewer plays: ${[...configs.keys()].join(', ')}`, 'variant');
      return make<unknown, number>(SHAPE_WORLD_ID, { renderMode: 'rgb_array', kwargs: { variant: v } });
    },
    variants: [...configs.keys()],
    start: first.name,
    actionNames: [...ACTIONS],
  };
}

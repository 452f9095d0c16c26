/**
 * Builds the browser client (viewer/client/main.ts, with pixi.js and zod) into one JavaScript file
 * with esbuild, on demand when the server starts. The result is cached under .cache/viewer/, keyed
 * by a hash of the client sources and the esbuild/pixi versions, so a fresh clone needs no build
 * step and later starts reuse the file. Nothing is fetched from a CDN.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../envs/util/files.ts';

const VIEWER_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(VIEWER_DIR, '..');
export const CLIENT_ENTRY = path.join(VIEWER_DIR, 'client', 'main.ts');

export interface ClientBundle {
  js: string;
  hash: string;
  /** True when it came from the cache, false when esbuild ran. */
  cached: boolean;
}

/** Every file that goes into the bundle that we own (the client folder and the shared protocol). */
function sourceFiles(): string[] {
  const clientDir = path.join(VIEWER_DIR, 'client');
  const files = fs
    .readdirSync(clientDir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(clientDir, f));
  return [...files.sort(), path.join(VIEWER_DIR, 'protocol.ts')];
}

function packageVersion(name: string): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '?';
  } catch {
    return '?';
  }
}

/** The cache key: client sources + the versions of the tools and libraries bundled. */
export function bundleHash(minify: boolean): string {
  const h = createHash('sha256');
  for (const f of sourceFiles()) {
    h.update(path.relative(ROOT, f));
    h.update(fs.readFileSync(f));
  }
  for (const name of ['esbuild', 'pixi.js', 'zod']) h.update(`${name}@${packageVersion(name)}`);
  h.update(minify ? 'min' : 'dev');
  return h.digest('hex').slice(0, 16);
}

/** Returns the client bundle, building it with esbuild unless a cached copy matches. */
export async function buildClientBundle(opts: { cacheDir?: string; minify?: boolean } = {}): Promise<ClientBundle> {
  const minify = opts.minify ?? true;
  const cacheDir = opts.cacheDir ?? path.join(ROOT, '.cache', 'viewer');
  const hash = bundleHash(minify);
  const file = path.join(cacheDir, `app-${hash}.js`);
  try {
    return { js: fs.readFileSync(file, 'utf8'), hash, cached: true };
  } catch {
    // not cached yet
  }
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [CLIENT_ENTRY],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const js = result.outputFiles[0]?.text;
  if (js === undefined) throw new Error('esbuild produced no output for the viewer client');
  try {
    // Old bundles are removed so the cache does not grow with every edit.
    for (const f of fs.readdirSync(cacheDir)) if (/^app-[0-9a-f]+\.js$/.test(f) && f !== path.basename(file)) fs.rmSync(path.join(cacheDir, f), { force: true });
  } catch {
    // no cache folder yet
  }
  writeFileAtomic(file, js);
  return { js, hash, cached: false };
}

/**
 * The committed wasm kernels (vision/compute/wasm/native/*.wasm) are what native/build.sh makes from
 * kernels.c: rebuilt here with Debian's clang-14 when it is installed (CI installs it) and compared
 * byte for byte. Also: each module imports only a memory (shared for the threads build) and carries
 * no data section, which would overwrite tfjs's memory when instantiated.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertNoDataSection, NATIVE_DIR } from '../../../vision/compute/wasm/native.ts';

const dir = NATIVE_DIR.pathname;
const FILES = ['darla-kernels.wasm', 'darla-kernels-threads.wasm'];
const clang = spawnSync('clang-14', ['--version'], { encoding: 'utf8' });
const hasClang = clang.status === 0;
if (!hasClang) console.warn('native-build: clang-14 is not installed (apt-get install clang-14 lld-14); skipping the rebuild check');

describe('darla wasm kernels build', () => {
  it('build.sh reproduces the committed modules byte for byte', (ctx) => {
    if (!hasClang) ctx.skip('clang-14 is not installed (apt-get install clang-14 lld-14; .ci/run does)');
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'darla-wasm-'));
    try {
      const r = spawnSync('bash', [path.join(dir, 'build.sh'), out], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      for (const f of FILES) {
        const rebuilt = fs.readFileSync(path.join(out, f));
        const committed = fs.readFileSync(path.join(dir, f));
        expect(rebuilt.equals(committed), `${f} differs from a fresh build: run vision/compute/wasm/native/build.sh and commit the result`).toBe(true);
      }
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('imports only a memory and has no data section', () => {
    for (const f of FILES) {
      const bytes = fs.readFileSync(path.join(dir, f));
      expect(() => assertNoDataSection(bytes)).not.toThrow();
      const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes));
      expect(imports).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    }
    // A module with a data section is refused.
    const withData = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 11, 1, 0]);
    expect(() => assertNoDataSection(withData)).toThrow(/data section/);
  });
});

/**
 * A vitest reporter that ends every run with a loud list of the tests that did not run, grouped by
 * file and reason: the reason a test gave (`ctx.skip(reason)`), or for a conditional skip the title
 * of its suite, where those skips name their reason. A failed install of an optional tool (Mesa for
 * WebGPU, clang-14, Chromium) then shows up at the bottom of `npm test` instead of passing silently.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SkippedReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    // "file\0why" → test names
    const groups = new Map<string, string[]>();
    let count = 0;
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const result = test.result();
        if (result.state !== 'skipped') continue;
        const suite = test.parent.type === 'suite' ? test.parent.name : '';
        const why = result.note ?? (test.options.mode === 'todo' ? 'todo' : suite !== '' ? `skip condition of suite "${suite}"` : 'a skip condition (see the warning the file printed)');
        const key = `${mod.relativeModuleId}\0${why}`;
        groups.set(key, [...(groups.get(key) ?? []), test.name]);
        count++;
      }
    }
    if (count === 0) {
      process.stdout.write('\nSKIPPED TESTS: none\n');
      return;
    }
    const bar = '!'.repeat(78);
    const lines: string[] = [];
    for (const [key, names] of groups) {
      const [file, why] = key.split('\0');
      lines.push(`  ${file}: ${names.length} skipped — why: ${why}`, ...names.map((n) => `      · ${n}`));
    }
    process.stdout.write(`\n${bar}\nSKIPPED TESTS: ${count} did not run\n${lines.join('\n')}\n${bar}\n`);
  }
}

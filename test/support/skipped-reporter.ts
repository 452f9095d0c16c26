/**
 * A vitest reporter that ends every run with a loud list of the tests that did not run, each with
 * its file and the reason it gave (`ctx.skip(reason)`, or the suite title a conditional skip names
 * its reason in). A failed install of an optional tool (Mesa for WebGPU, clang-14, Chromium) then
 * shows up at the bottom of `npm test` instead of passing silently.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SkippedReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const lines: string[] = [];
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const result = test.result();
        if (result.state !== 'skipped') continue;
        // With a note the test's own name is enough; a conditional skip's reason is in its suite title.
        if (result.note !== undefined) lines.push(`  ${mod.relativeModuleId} › ${test.name}\n      why: ${result.note}`);
        else lines.push(`  ${mod.relativeModuleId} › ${test.fullName}\n      why: ${test.options.mode === 'todo' ? 'todo' : 'a skip condition (see the suite title above, or the warning the file printed)'}`);
      }
    }
    if (lines.length === 0) {
      process.stdout.write('\nSKIPPED TESTS: none\n');
      return;
    }
    const bar = '!'.repeat(78);
    process.stdout.write(`\n${bar}\nSKIPPED TESTS: ${lines.length} did not run\n${lines.join('\n')}\n${bar}\n`);
  }
}

/**
 * The skipped-test reporter (test/support/skipped-reporter.ts) lists every skipped test with its
 * reason, grouped by file and reason, and says "none" when nothing was skipped.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TestModule } from 'vitest/node';
import SkippedReporter from './skipped-reporter.ts';

interface FakeTest {
  name: string;
  suite?: string;
  state: 'passed' | 'skipped';
  note?: string;
}

/** Just the parts of vitest's TestModule the reporter reads. */
function fakeModule(file: string, tests: FakeTest[]): TestModule {
  const mod = {
    relativeModuleId: file,
    children: {
      *allTests() {
        for (const t of tests) {
          yield {
            name: t.name,
            parent: t.suite === undefined ? { type: 'module' } : { type: 'suite', name: t.suite },
            options: { mode: t.state === 'skipped' ? 'skip' : 'run' },
            result: () => ({ state: t.state, note: t.note }),
          };
        }
      },
    },
  };
  // A stand-in: the reporter reads only relativeModuleId, children.allTests() and those test fields.
  return mod as unknown as TestModule;
}

function output(modules: TestModule[]): string {
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  new SkippedReporter().onTestRunEnd(modules);
  const text = write.mock.calls.map((c) => String(c[0])).join('');
  write.mockRestore();
  return text;
}

afterEach(() => vi.restoreAllMocks());

describe('skipped-test reporter', () => {
  it('lists each skipped test under its file and reason', () => {
    const text = output([
      fakeModule('test/a.test.ts', [
        { name: 'runs', state: 'passed' },
        { name: 'needs a GPU', state: 'skipped', note: 'no adapter' },
        { name: 'needs a GPU too', state: 'skipped', note: 'no adapter' },
      ]),
      fakeModule('test/b.test.ts', [{ name: 'in a browser', suite: 'browser SKIPPED: no Chromium', state: 'skipped' }]),
    ]);
    expect(text).toContain('SKIPPED TESTS: 3 did not run');
    expect(text).toContain('test/a.test.ts: 2 skipped — why: no adapter\n      · needs a GPU\n      · needs a GPU too');
    expect(text).toContain('test/b.test.ts: 1 skipped — why: skip condition of suite "browser SKIPPED: no Chromium"');
    expect(text).not.toContain('runs');
  });

  it('says none when every test ran', () => {
    expect(output([fakeModule('test/a.test.ts', [{ name: 'runs', state: 'passed' }])])).toBe('\nSKIPPED TESTS: none\n');
  });
});

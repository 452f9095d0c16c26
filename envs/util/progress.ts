/**
 * Progress bars for long work (pretraining, agent training, transfer, the pipeline), on stderr so
 * stdout stays machine-readable. On a terminal it redraws in place; elsewhere (CI, pipes, files) it
 * prints a line every few seconds. `quiet` turns it off (tests, `--json`).
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Sets the current count and any named fields shown in the line. */
  update(value: number, fields?: Record<string, string | number>): void;
  /** Changes the total (e.g. when a resumed run starts part-way). */
  setTotal(total: number): void;
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  total: number;
  /** Field names shown after the bar, in order, as `name value`. */
  fields?: readonly string[];
  quiet?: boolean;
  /** Starting count (a resumed run). */
  start?: number;
}

const noop: Progress = { update() {}, setTotal() {}, stop() {} };

export function createProgress(opts: ProgressOptions): Progress {
  if (opts.quiet) return noop;
  const fieldText = (opts.fields ?? []).map((f) => `${f} {${f}}`).join(' | ');
  const bar = new cliProgress.SingleBar(
    {
      format: `${opts.label} |{bar}| {value}/{total}${fieldText ? ' | ' + fieldText : ''} | ETA {eta_formatted}`,
      barsize: 24,
      stream: process.stderr,
      hideCursor: false,
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 5000,
      etaBuffer: 50,
      fps: 5,
      formatValue: (v, _o, type) => (type === 'value' || type === 'total' ? String(v) : String(v)),
    },
    cliProgress.Presets.shades_classic,
  );
  const blank = Object.fromEntries((opts.fields ?? []).map((f) => [f, '-']));
  bar.start(opts.total, opts.start ?? 0, blank);
  return {
    update(value, fields) {
      bar.update(value, fields ?? {});
    },
    setTotal(total) {
      bar.setTotal(total);
    },
    stop() {
      bar.stop();
    },
  };
}

/**
 * Progress bars for long work (pretraining, agent training, transfer, the pipeline), on stderr so
 * stdout stays machine-readable. On a terminal it redraws in place (cli-progress); elsewhere (CI,
 * pipes, files) it prints a plain line every few seconds. `quiet` turns it off (tests, `--json`).
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

function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Without a terminal, cli-progress redraws from a timer, which never fires while training holds the
 * event loop; this prints a plain line from update() itself, at most every `everyMs`. The ETA uses
 * the rate over the last `windowMs`, so work resumed from a checkpoint (a jump in the count) does
 * not make it look fast for long.
 */
function lineProgress(opts: ProgressOptions, everyMs = 5000, windowMs = 120_000): Progress {
  let total = opts.total;
  const start = opts.start ?? 0;
  const t0 = performance.now();
  let last = -Infinity;
  let lastValue = start;
  let lastFields: Record<string, string | number> = {};
  const samples: { t: number; v: number }[] = [{ t: t0, v: start }];
  const print = (value: number) => {
    const now = performance.now();
    const elapsed = (now - t0) / 1000;
    samples.push({ t: now, v: value });
    while (samples.length > 2 && now - samples[1]!.t >= windowMs) samples.shift();
    const first = samples[0]!;
    const rate = (value - first.v) / Math.max((now - first.t) / 1000, 1e-9);
    const eta = rate > 0 ? (total - value) / rate : Number.NaN;
    const pct = total > 0 ? Math.floor((100 * value) / total) : 0;
    const fields = (opts.fields ?? []).map((f) => `${f} ${lastFields[f] ?? '-'}`).join(' | ');
    process.stderr.write(`${opts.label} ${value}/${total} (${pct}%)${fields ? ' | ' + fields : ''} | elapsed ${formatSeconds(elapsed)} | ETA ${formatSeconds(eta)}\n`);
  };
  return {
    update(value, fields) {
      lastValue = value;
      if (fields) lastFields = { ...lastFields, ...fields };
      const now = performance.now();
      if (now - last >= everyMs) {
        last = now;
        print(value);
      }
    },
    setTotal(t) {
      total = t;
    },
    stop() {
      print(lastValue);
    },
  };
}

export function createProgress(opts: ProgressOptions): Progress {
  if (opts.quiet) return noop;
  if (!process.stderr.isTTY) return lineProgress(opts);
  const fieldText = (opts.fields ?? []).map((f) => `${f} {${f}}`).join(' | ');
  const bar = new cliProgress.SingleBar(
    {
      format: `${opts.label} |{bar}| {value}/{total}${fieldText ? ' | ' + fieldText : ''} | ETA {eta_formatted}`,
      barsize: 24,
      stream: process.stderr,
      hideCursor: false,
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

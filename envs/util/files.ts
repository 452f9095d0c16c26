/**
 * Crash-safe file writes for run directories, reports and images: write a temp file beside the
 * target, fsync, then rename over it, so a killed process leaves either the old file or the new
 * one, never half of one.
 */
import fs from 'node:fs';
import path from 'node:path';

let counter = 0;

/** Writes `data` to `file` atomically (temp file + fsync + rename), creating parent folders. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.${counter++}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** Writes a value as pretty JSON, atomically. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Appends one line to a log (e.g. metrics.jsonl). A crash can at worst leave a partial last line,
 * which `readJsonLines` skips.
 */
export function appendLine(file: string, line: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.appendFileSync(file, line.endsWith('\n') ? line : `${line}\n`);
}

/** Reads a JSON-lines file, skipping blank lines and a torn final line. */
export function readJsonLines<T = unknown>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const out: T[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch (err) {
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim() !== '')) throw err;
    }
  }
  return out;
}

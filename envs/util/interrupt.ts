/**
 * Graceful Ctrl-C for long runs. The first SIGINT/SIGTERM sets a flag that training loops poll
 * between steps (they then save a checkpoint and return, so the next run resumes); a second one
 * exits at once. Every file is written atomically, so even a hard kill leaves no torn file.
 * A child process that a parent started with an IPC channel (the pipeline's training jobs) exits
 * when that parent dies, however it died (`exitWithParent`).
 */
let requested = false;
let installed = false;

/** True once the user asked to stop. */
export function stopRequested(): boolean {
  return requested;
}

/** For tests: clear the flag. */
export function resetStopRequest(): void {
  requested = false;
}

/** Installs the handlers once per process (CLI entry points call this; libraries only poll). */
export function installInterruptHandlers(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals) => {
    if (requested) {
      log(`\n${signal} again: exiting now (files written so far are intact)`);
      process.exit(130);
    }
    requested = true;
    log(`\n${signal}: stopping after the current step and saving a checkpoint (press Ctrl-C again to exit now)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/**
 * In a process started with an IPC channel (scripts/pipeline/jobs.ts starts its training children
 * so): exit as soon as the parent is gone. The channel closes when the parent dies, even by kill -9,
 * so no training outlives the pipeline that started it (its run resumes from the last checkpoint;
 * the exit releases its run-directory lock). The channel does not keep the process alive otherwise.
 */
export function exitWithParent(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): void {
  const channel = process.channel;
  if (channel === undefined) return;
  channel.unref();
  process.once('disconnect', () => {
    log('the parent process is gone: stopping (the run resumes from its last checkpoint)');
    process.exit(130);
  });
}

// BullMQ's sandboxed processor for `darla worker`: BullMQ forks a child process that imports this
// file and calls its default export for each job, so a training never blocks the worker's lock
// renewal. Plain JavaScript because the child starts without tsx: it registers tsx (as bin/darla.js
// does), then hands over to the TypeScript job code. When the worker dies, even by kill -9, the IPC
// channel closes and this child exits; its training children follow (envs/util/interrupt.ts), and
// the job's lock expires so another worker retakes it from the last checkpoint.
import { register } from 'tsx/esm/api';

register();
process.once('disconnect', () => process.exit(130));
const { processJob } = await import('./process-job.ts');

export default processJob;

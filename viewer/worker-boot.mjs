// Starts the viewer worker thread: registers tsx (as bin/darla.js does on the main thread) so the
// TypeScript sources run as they are, then loads viewer/worker-entry.ts.
import { register } from 'tsx/esm/api';

register();
await import('./worker-entry.ts');

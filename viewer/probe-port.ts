/**
 * Whether the viewer will be able to listen on a host and port, found out before a long run (the
 * pipeline ends with the viewer): bind a throw-away server there and close it. The refusals are the
 * viewer server's own (a taken port, an address that is not this machine's), as UserErrors.
 */
import net from 'node:net';
import { UserError } from '../envs/core/errors.ts';

/** Resolves when `host:port` can be bound now; rejects with a UserError naming --port or --host otherwise. */
export function assertListenable(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new UserError(`--port: port ${port} on ${host} is already in use; pick another with --port (0 = any free port)`, '--port'));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' || err.code === 'EINVAL') {
        reject(new UserError(`--host: cannot listen on '${host}' (${err.code}); use an address of this machine, e.g. 127.0.0.1`, '--host'));
      } else if (err.code === 'EACCES') reject(new UserError(`--port: port ${port} needs privileges this process lacks; pick one above 1023`, '--port'));
      else reject(err);
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/**
 * The `--queue redis://[user:password@]host:port[/db]` flag: parsed once into ioredis options, shown
 * only without its password (redactedUrl), and checked for reachability within a few seconds before
 * anything is enqueued or written. ioredis is imported here lazily: only a command given --queue
 * loads this module, so the default install and `npm start` never need Redis.
 */
import { UserError } from '../../envs/core/errors.ts';

export interface QueueTarget {
  /** The URL with any password replaced by ***: the only form ever printed or stored. */
  redacted: string;
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls: boolean;
}

/** The BullMQ queue every darla job goes through. */
export const QUEUE_NAME = 'darla';

/** Parses a --queue URL (a UserError naming --queue, without the password, when it is malformed). */
export function parseQueueUrl(raw: string): QueueTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UserError(`--queue: not a URL; expected redis://[user:password@]host:port`, '--queue');
  }
  const redacted = redact(url);
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new UserError(`--queue: ${redacted} is not a redis:// or rediss:// URL`, '--queue');
  if (url.hostname === '') throw new UserError(`--queue: ${redacted} names no host`, '--queue');
  const port = url.port === '' ? 6379 : Number(url.port);
  const dbPart = url.pathname.replace(/^\//, '');
  if (dbPart !== '' && !/^\d{1,2}$/.test(dbPart)) throw new UserError(`--queue: ${redacted}: the path must be a database number (e.g. /0)`, '--queue');
  if (url.search !== '' || url.hash !== '') throw new UserError(`--queue: ${redacted}: no query or fragment expected`, '--queue');
  return {
    redacted,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    username: url.username === '' ? undefined : decodeURIComponent(url.username),
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
    db: dbPart === '' ? 0 : Number(dbPart),
    tls: url.protocol === 'rediss:',
  };
}

function redact(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password !== '') copy.password = '***';
  return copy.href.replace(/\/$/, '');
}

/** ioredis options for BullMQ (which needs maxRetriesPerRequest null for its blocking connections). */
export function connectionOptions(t: QueueTarget) {
  return {
    host: t.host,
    port: t.port,
    username: t.username,
    password: t.password,
    db: t.db,
    ...(t.tls ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

/**
 * Connects once with no retries and a short timeout and sends PING: an unreachable server, a wrong
 * password or a non-Redis port becomes a UserError naming the redacted URL (exit 2), before any
 * job is enqueued or any folder written. Returns a warning when Redis may evict keys (BullMQ needs
 * `maxmemory-policy noeviction`), or null.
 */
export async function checkQueueReachable(t: QueueTarget, timeoutMs = 3000): Promise<string | null> {
  const { Redis } = await import('ioredis');
  const client = new Redis({ ...connectionOptions(t), maxRetriesPerRequest: 0, connectTimeout: timeoutMs, lazyConnect: true, retryStrategy: () => null, enableOfflineQueue: false });
  // ioredis emits the cause (ECONNREFUSED, ETIMEDOUT, WRONGPASS…) as an event, then rejects the
  // awaited call with a bare "Connection is closed": keep the cause.
  let cause: Error | null = null;
  client.on('error', (err: Error) => (cause ??= err));
  const deadline = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs + 500).unref());
  try {
    await Promise.race([client.connect().then(() => client.ping()), deadline]);
    let warning: string | null = null;
    try {
      const policy = (await client.config('GET', 'maxmemory-policy')) as string[];
      if (policy[1] !== undefined && policy[1] !== 'noeviction') warning = `Redis at ${t.redacted} has maxmemory-policy ${policy[1]}; BullMQ needs noeviction (jobs may be lost otherwise)`;
    } catch {
      // CONFIG may be disabled (managed Redis): nothing to check then.
    }
    return warning;
  } catch (err) {
    const raw = (cause ?? (err as Error)).message.replace(/\.$/, '');
    const why = t.password === undefined ? raw : raw.replaceAll(t.password, '***');
    throw new UserError(`--queue: cannot use the Redis at ${t.redacted}: ${why}. Is redis-server running there, and the password right?`, '--queue');
  } finally {
    client.disconnect();
  }
}

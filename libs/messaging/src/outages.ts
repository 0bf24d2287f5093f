interface Emitter {
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
}

interface OutageLogger {
  warn(message: string): unknown;
  log(message: string): unknown;
}

/** While an outage lasts, repeat the warning at most this often. */
const REPEAT_MS = 60_000;

/**
 * Redis clients emit an error for every failed reconnect, once a second for as
 * long as Redis is down. The apps are built to ride an outage out, so warn once
 * when it starts (and once a minute while it lasts), and say when it ends where
 * the client reports `ready` (BullMQ queues do not).
 */
export function reportOutagesOnce(client: Emitter, logger: OutageLogger): void {
  let warnedAt: number | undefined;
  client.on('error', (err: Error) => {
    const now = Date.now();
    if (warnedAt !== undefined && now - warnedAt < REPEAT_MS) return;
    warnedAt = now;
    logger.warn(`Redis unavailable (${err.message}); reconnecting`);
  });
  client.on('ready', () => {
    if (warnedAt === undefined) return;
    warnedAt = undefined;
    logger.log('Redis reconnected');
  });
}

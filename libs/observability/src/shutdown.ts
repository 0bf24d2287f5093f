import type { INestApplicationContext, LoggerService } from '@nestjs/common';

/**
 * Closes the app on SIGTERM or SIGINT and exits 0 once every shutdown hook has
 * run (BullMQ workers drained, Redis and Postgres connections closed). Nest's own
 * `enableShutdownHooks()` re-raises the signal after closing, which makes the
 * exit code 130/143; orchestrators and `npm start` want a clean 0.
 * If draining takes longer than `graceMs`, the process exits 1 anyway.
 */
export function closeOnSignals(app: INestApplicationContext, graceMs: number, logger: LoggerService): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.log(`${signal} received: shutting down (grace ${graceMs} ms)`, 'Shutdown');
    const timer = setTimeout(() => {
      logger.warn(`Still draining after ${graceMs} ms: exiting anyway`, 'Shutdown');
      process.exit(1);
    }, graceMs);
    timer.unref();
    app.close().then(
      () => {
        logger.log('Shut down cleanly', 'Shutdown');
        process.exit(0);
      },
      (err: Error) => {
        logger.error(`Shutdown failed: ${err.message}`, err.stack, 'Shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** For `main.ts`: a failed boot prints why and exits 1 instead of hanging. */
export function exitOnBootFailure(appName: string) {
  return (err: unknown): never => {
    process.stderr.write(
      `${appName} failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  };
}

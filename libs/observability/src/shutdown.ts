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

/** The environment variable that sets each port an app listens on, for a port clash's message. */
export type PortVariables = Readonly<Record<string, number>>;

/**
 * Why a boot failed, in words a user acts on. A port clash names the variable
 * that moves the port ("PORT=3000 is in use"), since Node's own
 * `listen EADDRINUSE: address already in use 127.0.0.1:3000` does not.
 */
export function bootFailureMessage(appName: string, err: unknown, ports: PortVariables = {}): string {
  const listen = err as { code?: unknown; port?: unknown; address?: unknown } | null;
  if (listen?.code === 'EADDRINUSE' && typeof listen.port === 'number') {
    const variable = Object.entries(ports).find(([, port]) => port === listen.port)?.[0];
    const where = `${typeof listen.address === 'string' ? listen.address : ''}:${listen.port}`;
    return (
      `${appName} failed to start: ${where} is already in use (another notion-sync, or another program, holds it). ` +
      (variable
        ? `Stop it, or give ${appName} another port: ${variable}=<free port>.`
        : 'Stop it, or give this app another port.')
    );
  }
  return `${appName} failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
}

/** For `main.ts`: a failed boot prints why and exits 1 instead of hanging. */
export function exitOnBootFailure(appName: string, ports: PortVariables = {}) {
  return (err: unknown): never => {
    process.stderr.write(`${bootFailureMessage(appName, err, ports)}\n`);
    process.exit(1);
  };
}

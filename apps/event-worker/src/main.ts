import 'reflect-metadata';
import { Logger } from 'nestjs-pino';
import { loadConfigOrExit } from '@app/config';
import { closeOnSignals, exitOnBootFailure } from '@app/observability';
import { createEventWorkerApp } from './bootstrap.js';

const config = loadConfigOrExit();
try {
  const app = await createEventWorkerApp(config);
  const logger = app.get(Logger);
  closeOnSignals(app, config.shutdownGraceMs, logger);
  await app.startAllMicroservices();
  await app.listen(config.eventWorker.healthPort, config.host);
  logger.log(
    `event-worker ready: subscribed to events; health on ${config.host}:${config.eventWorker.healthPort}`,
    'Bootstrap',
  );
} catch (err) {
  exitOnBootFailure('event-worker', { EVENT_WORKER_HEALTH_PORT: config.eventWorker.healthPort })(err);
}

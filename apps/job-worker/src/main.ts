import 'reflect-metadata';
import { Logger } from 'nestjs-pino';
import { loadConfigOrExit } from '@app/config';
import { closeOnSignals, exitOnBootFailure } from '@app/observability';
import { createJobWorkerApp } from './bootstrap.js';

const config = loadConfigOrExit();
try {
  const app = await createJobWorkerApp(config);
  const logger = app.get(Logger);
  closeOnSignals(app, config.shutdownGraceMs, logger);
  await app.listen(config.jobWorker.healthPort, config.host);
  logger.log(
    `job-worker ready: processing up to ${config.jobWorker.concurrency} jobs at once; health on ${config.host}:${config.jobWorker.healthPort}`,
    'Bootstrap',
  );
} catch (err) {
  exitOnBootFailure('job-worker', { JOB_WORKER_HEALTH_PORT: config.jobWorker.healthPort })(err);
}

import type { Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import type { AppConfig } from '@app/config';
import { createFastifyAdapter, StartupQuietLogger } from '@app/observability';
import { JobWorkerModule } from './job-worker.module.js';

/**
 * The job-worker: BullMQ processors. Its HTTP server serves only the health
 * routes on `JOB_WORKER_HEALTH_PORT`; there is no API here.
 */
export async function createJobWorkerApp(
  config: AppConfig,
  extensions?: readonly Type[],
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    JobWorkerModule.forRoot(config, extensions),
    createFastifyAdapter(),
    {
      bufferLogs: true,
    },
  );
  app.useLogger(new StartupQuietLogger(app.get(Logger)));
  return app;
}

import type { Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import type { AppConfig } from '@app/config';
import { PrefixedRedisServer, redisServerOptions } from '@app/messaging';
import { createFastifyAdapter, StartupQuietLogger } from '@app/observability';
import { EventWorkerModule } from './event-worker.module.js';

/**
 * The event-worker: a Redis-transport microservice, plus a small HTTP server
 * that serves only its health routes. Call `startAllMicroservices()` and
 * `listen(healthPort)` to run it.
 */
export async function createEventWorkerApp(
  config: AppConfig,
  extensions?: readonly Type[],
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    EventWorkerModule.forRoot(config, extensions),
    createFastifyAdapter(),
    {
      bufferLogs: true,
    },
  );
  app.useLogger(new StartupQuietLogger(app.get(Logger)));
  app.connectMicroservice(
    { strategy: new PrefixedRedisServer(config.redis.channelPrefix, redisServerOptions(config)) },
    { inheritAppConfig: true },
  );
  return app;
}

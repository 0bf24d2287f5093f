import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import type { AppConfig } from '@app/config';
import { createFastifyAdapter } from '@app/observability';
import { ApiGatewayModule } from './api-gateway.module.js';

/** Public API prefix; health routes stay at the root for probes. */
export const API_PREFIX = 'api/v1';
/** Body limit for the API (the webhook route raises its own to 1 MiB). */
export const API_BODY_LIMIT_BYTES = 100 * 1024;

/** Builds the gateway exactly as `main.ts` runs it; e2e tests use it too. */
export async function createGatewayApp(config: AppConfig): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    ApiGatewayModule.forRoot(config),
    createFastifyAdapter({ bodyLimit: API_BODY_LIMIT_BYTES }),
    { bufferLogs: true },
  );
  app.useLogger(app.get(Logger));
  app.setGlobalPrefix(API_PREFIX, { exclude: ['health/live', 'health/ready'] });
  return app;
}

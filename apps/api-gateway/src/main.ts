import 'reflect-metadata';
import { Logger } from 'nestjs-pino';
import { loadConfigOrExit } from '@app/config';
import { closeOnSignals, exitOnBootFailure } from '@app/observability';
import { createGatewayApp } from './bootstrap.js';

const config = loadConfigOrExit();
try {
  const app = await createGatewayApp(config);
  const logger = app.get(Logger);
  closeOnSignals(app, config.shutdownGraceMs, logger);
  await app.listen(config.gateway.port, config.host);
  logger.log(`api-gateway listening on ${config.host}:${config.gateway.port}`, 'Bootstrap');
} catch (err) {
  exitOnBootFailure('api-gateway')(err);
}

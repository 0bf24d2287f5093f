import 'reflect-metadata';
import { Logger } from 'nestjs-pino';
import { loadConfigOrExit } from '@app/config';
import { closeOnSignals, exitOnBootFailure } from '@app/observability';
import { AdminServer } from './admin/admin-server.js';
import { API_PREFIX, createGatewayApp, DOCS_PATH } from './bootstrap.js';

const config = loadConfigOrExit();
try {
  const app = await createGatewayApp(config);
  const logger = app.get(Logger);
  closeOnSignals(app, config.shutdownGraceMs, logger);
  await app.listen(config.gateway.port, config.host);
  const origin = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.gateway.port}`;
  logger.log(
    `api-gateway ready: API ${origin}/${API_PREFIX}, docs ${origin}/${DOCS_PATH}; ${app.get(AdminServer).summary()}`,
    'Bootstrap',
  );
} catch (err) {
  exitOnBootFailure('api-gateway', { PORT: config.gateway.port, ADMIN_PORT: config.admin.port })(err);
}

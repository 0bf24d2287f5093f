export { HealthModule } from './health.module.js';
export { type HealthOptions } from './health.controller.js';
export { createFastifyAdapter } from './fastify-adapter.js';
export { LoggingModule, REQUEST_ID_HEADER } from './logging.module.js';
export { closeOnSignals, exitOnBootFailure } from './shutdown.js';
export { SKIP_RATE_LIMIT_KEY, SkipRateLimit } from './skip-rate-limit.decorator.js';

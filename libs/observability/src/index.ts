export { BASIC_AUTH_CHALLENGE, basicAuthMatches, type BasicCredentials } from './basic-auth.js';
export { HealthModule } from './health.module.js';
export { HealthController, type HealthOptions } from './health.controller.js';
export { createFastifyAdapter } from './fastify-adapter.js';
export { logFailedRequest, LoggingModule, REQUEST_ID_HEADER } from './logging.module.js';
export {
  METRICS_PREFIX,
  Metrics,
  QUEUE_STATES,
  type CountableQueue,
  type DeliveryOutcome,
  type DeliveryRejection,
  type DispatchOutcome,
  type JobOutcome,
  type QueueState,
  type RetentionKind,
} from './metrics/metrics.js';
export { METRICS_AUTH_CHALLENGE, metricsAccessAllowed } from './metrics/metrics-access.js';
export { MetricsModule, type MetricsOptions } from './metrics/metrics.module.js';
export { bootFailureMessage, closeOnSignals, exitOnBootFailure, type PortVariables } from './shutdown.js';
export { StartupQuietLogger } from './startup-logger.js';
export { SKIP_RATE_LIMIT_KEY, SkipRateLimit } from './skip-rate-limit.decorator.js';

import { bearerTokenMatches } from '../basic-auth.js';

/** The challenge of a refused scrape (RFC 6750); Prometheus sends the token with `authorization: { credentials }`. */
export const METRICS_AUTH_CHALLENGE = 'Bearer realm="notion-sync metrics"';

/**
 * Whether a scrape may read /metrics: always when no `METRICS_TOKEN` is set
 * (the ports are private), else only with that bearer token.
 */
export function metricsAccessAllowed(authorization: string | undefined, token: string | undefined): boolean {
  return token === undefined || bearerTokenMatches(authorization, token);
}

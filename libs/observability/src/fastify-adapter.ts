import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyServerOptions } from 'fastify';
import { REQUEST_ID_HEADER, requestIdOptions } from './logging.module.js';

export interface FastifyAdapterOptions extends Pick<
  FastifyServerOptions,
  'bodyLimit' | 'routerOptions' | 'rewriteUrl'
> {
  /**
   * Proxies whose `X-Forwarded-For` decides `request.ip`: a number of hops, or
   * proxy addresses and CIDRs. Off by default: a client writes that header
   * itself, so believing it from anyone else lets the client choose its IP
   * (and its rate-limit budget).
   */
  trustProxy?: false | number | readonly string[];
}

/**
 * Fastify's `trustProxy` for our setting. Fastify 5.12 treats a number as
 * "trust nothing" (a hop count cannot tell a proxy from a client that connects
 * directly), so hops become the function Express and older Fastify used: the
 * operator who sets them vouches that clients reach the gateway only through
 * those proxies.
 */
function fastifyTrustProxy(trust: false | number | readonly string[]) {
  if (trust === false) return false;
  if (typeof trust === 'number') return (_address: string, hop: number) => hop < trust;
  return [...trust];
}

/**
 * The Fastify adapter every app uses: request ids from `x-request-id` (or
 * fresh), echoed on every response so a client can quote it in a report.
 */
export function createFastifyAdapter({ trustProxy = false, ...options }: FastifyAdapterOptions = {}): FastifyAdapter {
  const adapter = new FastifyAdapter({
    ...requestIdOptions(),
    ...options,
    trustProxy: fastifyTrustProxy(trustProxy),
  });
  adapter.getInstance().addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  return adapter;
}

import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyServerOptions } from 'fastify';
import { REQUEST_ID_HEADER, requestIdOptions } from './logging.module.js';

/**
 * The Fastify adapter every app uses: request ids from `x-request-id` (or
 * fresh), echoed on every response so a client can quote it in a report.
 */
export function createFastifyAdapter(
  options: Pick<FastifyServerOptions, 'bodyLimit' | 'routerOptions' | 'rewriteUrl'> = {},
): FastifyAdapter {
  const adapter = new FastifyAdapter({ ...requestIdOptions(), ...options });
  adapter.getInstance().addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  return adapter;
}

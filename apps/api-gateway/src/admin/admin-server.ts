import type { AddressInfo } from 'node:net';
import { Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import { fastify, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { AppConfig } from '@app/config';
import { QueueName } from '@app/contracts';
import { JobQueue } from '@app/messaging';
import { BASIC_AUTH_CHALLENGE, basicAuthMatches, Metrics, type BasicCredentials } from '@app/observability';

type BoardServerAdapter = Parameters<typeof createBullBoard>[0]['serverAdapter'];

/** Where Bull Board is mounted on the admin port. */
export const BULL_BOARD_PATH = '/admin/queues';

/**
 * The gateway's admin surface: a Fastify server of its own on `ADMIN_PORT`
 * (never the public port), started with the app and closed with it.
 *
 * - `GET /metrics`: Prometheus, unauthenticated like the workers' health
 *   ports (scrapers rarely carry credentials); off with `METRICS_ENABLED=false`.
 * - `/admin/queues`: Bull Board, read-only, behind HTTP Basic with
 *   `ADMIN_USERNAME` / `ADMIN_PASSWORD`; absent (404) when they are unset.
 *   Read-only because a retry from the board would bypass the dead letters
 *   (`POST /projects/:id/sync/failures/:failureId/retry` is the way to retry).
 *
 * The port is meant for a private network: compose publishes it on loopback only.
 */
@Injectable()
export class AdminServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AdminServer.name);
  private server?: FastifyInstance;

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    // Present only when Bull Board is on (the gateway imports QueueModule for it).
    @Optional() private readonly jobs?: JobQueue,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { admin, metrics, host } = this.config;
    if (!metrics.enabled && !admin.credentials) return;
    const server = fastify({ logger: false });
    if (metrics.enabled) {
      server.get('/metrics', async (_request, reply) => {
        const { contentType, body } = await this.metrics.render();
        return reply.header('content-type', contentType).send(body);
      });
    }
    if (admin.credentials && this.jobs) {
      await server.register(this.bullBoard(admin.credentials, this.jobs));
    }
    await server.listen({ port: admin.port, host });
    this.server = server;
    this.logger.log(
      `Admin server on ${host}:${this.port()} (metrics ${metrics.enabled ? 'on' : 'off'}, ` +
        `Bull Board ${admin.credentials ? `at ${BULL_BOARD_PATH}` : 'off: ADMIN_USERNAME/ADMIN_PASSWORD unset'})`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }

  /** The port it listens on (ADMIN_PORT may be 0); undefined when it serves nothing. */
  port(): number | undefined {
    return (this.server?.server.address() as AddressInfo | null)?.port;
  }

  /** Bull Board in a scope of its own, so the credential check covers its routes and nothing else. */
  private bullBoard(credentials: BasicCredentials, jobs: JobQueue): FastifyPluginAsync {
    const board = new BullBoardFastifyAdapter();
    board.setBasePath(BULL_BOARD_PATH);
    createBullBoard({
      queues: Object.values(QueueName).map((name) => new BullMQAdapter(jobs.queue(name), { readOnlyMode: true })),
      // @bull-board/fastify 9.10.1 pins its own copy of @bull-board/api (9.10.1,
      // beside our 9.10.2): same shape, but the private fields make the types differ.
      serverAdapter: board as unknown as BoardServerAdapter,
      options: { uiConfig: { boardTitle: 'notion-sync' } },
    });
    return async (scope) => {
      scope.addHook('onRequest', async (request, reply) => {
        if (basicAuthMatches(request.headers.authorization, credentials)) return;
        await reply
          .code(401)
          .header('www-authenticate', BASIC_AUTH_CHALLENGE)
          .send({ statusCode: 401, error: 'Unauthorized', message: 'Admin credentials required' });
        return reply;
      });
      await scope.register(board.registerPlugin(), { prefix: BULL_BOARD_PATH });
    };
  }
}

import type { AddressInfo } from 'node:net';
import { Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { createBullBoard } from '@bull-board/api';
import { fastify, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { AppConfig } from '@app/config';
import { QueueName } from '@app/contracts';
import { JobQueue } from '@app/messaging';
import {
  BASIC_AUTH_CHALLENGE,
  basicAuthMatches,
  Metrics,
  METRICS_AUTH_CHALLENGE,
  metricsAccessAllowed,
  type BasicCredentials,
} from '@app/observability';
import { FailureWindows } from '../http/failure-windows.js';

type BoardServerAdapter = Parameters<typeof createBullBoard>[0]['serverAdapter'];

/** Where Bull Board is mounted on the admin port. */
export const BULL_BOARD_PATH = '/admin/queues';
/** Failed Bull Board logins one client address may make per window before it must wait. */
export const ADMIN_LOGIN_FAILURE_LIMIT = 10;
export const ADMIN_LOGIN_WINDOW_MS = 15 * 60_000;

/**
 * The gateway's admin surface: a Fastify server of its own on
 * `ADMIN_HOST:ADMIN_PORT` (never the public port, and loopback unless
 * ADMIN_HOST says otherwise), started with the app and closed with it.
 *
 * - `GET /metrics`: Prometheus; with `METRICS_TOKEN` set, only for that bearer
 *   token (as on the workers' health ports); off with `METRICS_ENABLED=false`.
 * - `/admin/queues`: Bull Board, read-only, behind HTTP Basic with
 *   `ADMIN_USERNAME` / `ADMIN_PASSWORD`; absent (404) when they are unset.
 *   Read-only because a retry from the board would bypass the dead letters
 *   (`POST /projects/:id/sync/failures/:failureId/retry` is the way to retry).
 *   Wrong credentials are limited per client address (`FailureWindows`): 429
 *   with Retry-After once a client has used up its tries.
 *
 * The port is meant for a private network: compose publishes it on loopback only.
 */
@Injectable()
export class AdminServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AdminServer.name);
  private readonly logins = new FailureWindows(ADMIN_LOGIN_FAILURE_LIMIT, ADMIN_LOGIN_WINDOW_MS);
  private server?: FastifyInstance;

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    // Present only when Bull Board is on (the gateway imports QueueModule for it).
    @Optional() private readonly jobs?: JobQueue,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { admin, metrics } = this.config;
    if (!metrics.enabled && !admin.credentials) return;
    const server = fastify({ logger: false });
    if (metrics.enabled) {
      server.get('/metrics', async (request, reply) => {
        if (!metricsAccessAllowed(request.headers.authorization, metrics.token)) {
          return reply.code(401).header('www-authenticate', METRICS_AUTH_CHALLENGE).send('Unauthorized\n');
        }
        const { contentType, body } = await this.metrics.render();
        return reply.header('content-type', contentType).send(body);
      });
    }
    if (admin.credentials && this.jobs) {
      await server.register(await this.bullBoard(admin.credentials, this.jobs));
    }
    await server.listen({ port: admin.port, host: admin.host });
    this.server = server;
    // The gateway's ready line says this (see summary()); here it is detail.
    this.logger.debug(`Admin server ${this.summary()}`);
  }

  /** Where the admin port is and what it serves, for the gateway's ready line. */
  summary(): string {
    const { admin, metrics } = this.config;
    const port = this.port();
    if (port === undefined) return 'admin port off (metrics off, Bull Board off)';
    const metricsState = metrics.enabled ? (metrics.token ? 'on, with a token' : 'on') : 'off';
    const board = admin.credentials ? `at ${BULL_BOARD_PATH}` : 'off: ADMIN_USERNAME/ADMIN_PASSWORD unset';
    return `admin on ${admin.host}:${port} (metrics ${metricsState}, Bull Board ${board})`;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }

  /** The port it listens on (ADMIN_PORT may be 0); undefined when it serves nothing. */
  port(): number | undefined {
    return (this.server?.server.address() as AddressInfo | null)?.port;
  }

  /**
   * Bull Board in a scope of its own, so the credential check covers its routes and nothing else.
   * Its packages are loaded only here: without admin credentials the gateway never serves it,
   * and loading them (lodash, valibot, glob, ejs...) took about 4 MiB of idle RSS (BENCHMARKS.md, footprint).
   */
  private async bullBoard(credentials: BasicCredentials, jobs: JobQueue): Promise<FastifyPluginAsync> {
    const [{ createBullBoard }, { BullMQAdapter }, { FastifyAdapter: BullBoardFastifyAdapter }] = await Promise.all([
      import('@bull-board/api'),
      import('@bull-board/api/bullMQAdapter'),
      import('@bull-board/fastify'),
    ]);
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
        const waitSeconds = this.logins.retryAfterSeconds(request.ip);
        if (waitSeconds > 0) {
          // Even right credentials wait: an answer that differed would let guessing go on.
          await reply.code(429).header('retry-after', String(waitSeconds)).send({
            statusCode: 429,
            error: 'Too Many Requests',
            message: 'Too many failed admin logins; retry later',
          });
          return reply;
        }
        const { authorization } = request.headers;
        if (basicAuthMatches(authorization, credentials)) return;
        // No credentials at all is a browser's first request, asking for the challenge: not a failed login.
        if (authorization !== undefined && this.logins.recordFailure(request.ip)) {
          this.logger.warn(`Bull Board logins from ${request.ip} refused for a while: too many failed attempts`);
        }
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

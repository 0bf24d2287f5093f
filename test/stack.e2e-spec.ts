import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from 'pg';
import { loadConfig } from '@app/config';
import { BusEvent } from '@app/contracts';
import { PrefixedRedisClient, redisClientOptions } from '@app/messaging';
import {
  AppProcess,
  deliveryStatus,
  freePort,
  insertDelivery,
  insertProject,
  REPO_ROOT,
  waitFor,
  type AppName,
} from '@app/testing';
import { processEnv, testEnv } from './jest/test-env.js';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  scripts: Record<string, string>;
};

/**
 * The built apps as real processes, the way `npm start` and compose run them.
 */
describe('the stack as processes', () => {
  const APPS: AppName[] = ['api-gateway', 'event-worker', 'job-worker'];

  describe('three apps running', () => {
    const ports: Record<string, string> = {};
    const procs: AppProcess[] = [];

    beforeAll(async () => {
      ports.PORT = String(await freePort());
      ports.EVENT_WORKER_HEALTH_PORT = String(await freePort());
      ports.JOB_WORKER_HEALTH_PORT = String(await freePort());
      for (const app of APPS) procs.push(AppProcess.start(app, processEnv({ ...ports, LOG_LEVEL: 'info' })));
      await Promise.all([
        procs[0]!.waitForReady(Number(ports.PORT)),
        procs[1]!.waitForReady(Number(ports.EVENT_WORKER_HEALTH_PORT)),
        procs[2]!.waitForReady(Number(ports.JOB_WORKER_HEALTH_PORT)),
      ]);
    });

    afterAll(async () => {
      await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    });

    it('each app answers /health/live and /health/ready with Postgres and Redis up', async () => {
      for (const port of Object.values(ports)) {
        expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
        const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
        expect(ready.status).toBe(200);
        expect(await ready.json()).toMatchObject({
          status: 'ok',
          details: { postgres: { status: 'up' }, redis: { status: 'up' } },
        });
      }
    });

    it('gives every gateway request an id, echoing a well-formed one', async () => {
      const given = await fetch(`http://127.0.0.1:${ports.PORT}/health/live`, {
        headers: { 'x-request-id': 'abc-123' },
      });
      expect(given.headers.get('x-request-id')).toBe('abc-123');
      const fresh = await fetch(`http://127.0.0.1:${ports.PORT}/health/live`, {
        headers: { 'x-request-id': 'bad id!' },
      });
      expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('carries an event from the transport through the event-worker to a job the job-worker completes', async () => {
      const config = loadConfig(testEnv());
      const client = new PrefixedRedisClient(config.redis.channelPrefix, redisClientOptions(config));
      const pg = new Client({ connectionString: config.database.url });
      try {
        await pg.connect();
        const projectId = await insertProject(pg);
        const { deliveryId, correlationId } = await insertDelivery(pg, projectId);
        await client.connect();
        await new Promise<void>((resolve, reject) =>
          client
            .emit(BusEvent.NotionWebhooksReceived, { deliveries: [{ deliveryId, projectId, correlationId }] })
            .subscribe({ complete: resolve, error: reject }),
        );
        await waitFor(async () => (await deliveryStatus(pg, deliveryId)) === 'processed', {
          what: 'the delivery to be processed by the job-worker process',
        });
      } finally {
        await client.close();
        await pg.end();
      }
    });

    it('stops every app on SIGINT with exit code 0 and no error-level log line', async () => {
      const exits = await Promise.all(procs.map((p) => p.stop('SIGINT')));
      expect(exits).toEqual(APPS.map(() => ({ code: 0, signal: null })));
      for (const proc of procs) expect(proc.errorLines()).toEqual([]);
      // The apps did log (JSON at info level): an empty log would make the check above vacuous.
      expect(procs.every((p) => p.lines.some((l) => l.includes('Shut down cleanly')))).toBe(true);
    });
  });

  it('npm start is scripts/start.mjs', () => {
    expect(packageJson.scripts.start).toBe('node scripts/start.mjs');
  });

  it.each(APPS)('%s refuses to boot with an invalid variable, naming it', async (app) => {
    const proc = AppProcess.start(app, processEnv({ DATABASE_URL: 'not-a-url', PORT: 'eighty' }));
    const exit = await proc.exited;
    expect(exit.code).toBe(1);
    expect(proc.output()).toContain('DATABASE_URL must be a URL');
    expect(proc.output()).toContain('PORT must be a whole number (got "eighty")');
  });

  it('npm start runs all three apps and stops them all, each with exit code 0, on Ctrl-C', async () => {
    const ports = {
      PORT: String(await freePort()),
      EVENT_WORKER_HEALTH_PORT: String(await freePort()),
      JOB_WORKER_HEALTH_PORT: String(await freePort()),
    };
    // What `npm start` runs (npm's own wrapper re-raises SIGINT on itself, as it
    // does for any script, so its status is not the apps'). A process group of
    // its own lets the test signal it the way a terminal delivers Ctrl-C.
    const start = spawn(process.execPath, ['scripts/start.mjs'], {
      cwd: REPO_ROOT,
      env: processEnv(ports),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    start.stdout!.on('data', (d: Buffer) => (output += d));
    start.stderr!.on('data', (d: Buffer) => (output += d));
    const exited = new Promise<number | null>((resolve) => start.once('exit', (code) => resolve(code)));
    try {
      for (const port of Object.values(ports)) {
        await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200, {
          timeoutMs: 45_000,
          intervalMs: 250,
          what: `port ${port} ready under npm start`,
        });
      }
      process.kill(-start.pid!, 'SIGINT');
      expect(await exited).toBe(0);
      expect(output.match(/exited with code 0/g)).toHaveLength(3);
      expect(output).not.toMatch(/"level":(50|60)/);
    } finally {
      try {
        process.kill(-start.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
});

import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pinoHttp } from 'pino-http';
import { loadConfig } from '@app/config';
import { waitFor } from '@app/testing';
import { httpLogOptions } from './logging.module.js';

interface Line {
  level: number;
  msg: string;
  req?: Record<string, unknown>;
  res?: Record<string, unknown>;
  err?: { message?: string; stack?: string };
  reqHeaders?: Record<string, string>;
}

/**
 * pino-http with the apps' options in front of a plain HTTP server, its lines
 * captured: what one request writes to the log, by status.
 */
describe('request log lines', () => {
  const lines: string[] = [];
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const log = pinoHttp(httpLogOptions('spec', loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info' })), sink);
    server = createServer((req, res) => {
      log(req, res);
      const status = Number(/\/status\/(\d{3})/.exec(req.url ?? '')?.[1] ?? 200);
      // Like the gateway's answers: a challenge and a pile of security headers.
      res.setHeader('www-authenticate', 'Bearer error="invalid_token"');
      res.setHeader('content-security-policy', `default-src 'self'; ${'x'.repeat(600)}`);
      if (status === 500) res.err = new Error('the database went away');
      res.writeHead(status, { 'content-type': 'application/problem+json' }).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const SECRET_HEADERS = {
    authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.c2lnbmF0dXJl',
    cookie: `session=${'s'.repeat(800)}`,
    'x-notion-signature': 'sha256=0123456789abcdef',
  };

  /** Sends a request with an id of its own; its id. */
  async function send(path: string, headers: Record<string, string> = {}): Promise<string> {
    const id = `req-${Math.random().toString(36).slice(2)}`;
    const res = await fetch(`${base}${path}`, {
      headers: { 'x-request-id': id, 'user-agent': 'spec-agent/1.0', ...SECRET_HEADERS, ...headers },
    });
    await res.text();
    return id;
  }
  const named = (id: string) => lines.filter((l) => l.includes(id));

  /** The lines a logged request writes (on its response's finish, which may come just after the client has it). */
  async function linesFor(
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ raw: string[]; parsed: Line[] }> {
    const id = await send(path, headers);
    const raw = await waitFor(() => named(id).length > 0 && named(id), { what: `the log line of ${path}` });
    return { raw, parsed: raw.map((l) => JSON.parse(l) as Line) };
  }

  /** The lines an unlogged request wrote: none is awaited, so a logged request after it marks the point. */
  async function linesOfIgnored(path: string): Promise<string[]> {
    const id = await send(path);
    await linesFor('/api/v1/marker');
    return named(id);
  }

  it.each([400, 401, 404, 409, 413, 429])('logs a %i at info, one short line without headers', async (status) => {
    const { raw, parsed } = await linesFor(`/api/v1/status/${status}`);
    expect(parsed).toHaveLength(1);
    expect(parsed[0]).toMatchObject({ level: 30, res: { statusCode: status }, req: { method: 'GET' } });
    expect(Object.keys(parsed[0]!.req!).sort()).toEqual(['id', 'method', 'remoteAddress', 'url']);
    expect(parsed[0]!.res).toEqual({ statusCode: status });
    expect(raw[0]).not.toMatch(/headers|authorization|cookie|signature|spec-agent|content-security-policy/i);
    expect(raw[0]!.length).toBeLessThan(400);
  });

  it('logs a 2xx at info without headers too', async () => {
    const { raw, parsed } = await linesFor('/api/v1/status/200');
    expect(parsed).toEqual([expect.objectContaining({ level: 30, res: { statusCode: 200 } })]);
    expect(raw[0]).not.toMatch(/headers|authorization|cookie|content-security-policy/i);
  });

  it('logs a 5xx at error with the error and the request headers that help to debug it, and no secret', async () => {
    const { raw, parsed } = await linesFor('/api/v1/status/500', { 'content-type': 'application/json' });
    expect(parsed).toHaveLength(1);
    expect(parsed[0]).toMatchObject({
      level: 50,
      res: { statusCode: 500 },
      err: { message: 'the database went away' },
      reqHeaders: { 'content-type': 'application/json', 'user-agent': 'spec-agent/1.0' },
    });
    expect(parsed[0]!.err!.stack).toContain('the database went away');
    expect(Object.keys(parsed[0]!.reqHeaders!).sort()).toEqual(['content-type', 'user-agent']);
    expect(raw[0]).not.toMatch(/authorization|cookie|signature|eyJhbGci|sha256=|content-security-policy/i);
  });

  it('does not log health and metrics routes, whatever they answer', async () => {
    for (const path of ['/health/live', '/health/ready?x=1', '/metrics', '/metrics/status/401', '/health/status/503']) {
      expect({ path, lines: await linesOfIgnored(path) }).toEqual({ path, lines: [] });
    }
    // The routes above are ignored by path, not by accident: a sibling path is logged.
    expect((await linesFor('/healthz')).raw).toHaveLength(1);
  });
});

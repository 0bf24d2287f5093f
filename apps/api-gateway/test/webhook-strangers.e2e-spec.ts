import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { signWebhookPayload } from '@notionhq/client';
import { signDevToken } from '@app/auth';
import { AppProcess, FIXTURE_NOTION_TOKEN, freePort } from '@app/testing';
import { createGatewayApp } from '../src/bootstrap.js';
import { processEnv, testConfig } from '../../../test/jest/test-env.js';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A POST from a chosen loopback address (127.0.0.2, 127.0.0.3...): another client, as the gateway sees it. */
function postFrom(from: string, target: string, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      target,
      {
        method: 'POST',
        localAddress: from,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const config = testConfig();
const secret = config.auth.mode === 'secret' ? config.auth.secret : '';
const bearer = () => ({ authorization: `Bearer ${signDevToken({ secret, sub: 'owner', ttlSeconds: 600 })}` });

/** Creates a project on the gateway at `base`; its webhook URL as the create answer gives it. */
async function createProject(base: string): Promise<{ id: string; webhook: { url: string } }> {
  const created = await fetch(`${base}/api/v1/projects`, {
    method: 'POST',
    headers: { ...bearer(), 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'p', notionDatabaseId: randomUUID(), notionToken: FIXTURE_NOTION_TOKEN }),
  });
  expect(created.status).toBe(201);
  return (await created.json()) as { id: string; webhook: { url: string } };
}

const event = () =>
  JSON.stringify({
    id: randomUUID(),
    timestamp: new Date().toISOString(),
    type: 'page.properties_updated',
    entity: { id: randomUUID(), type: 'page' },
    data: {},
  });

/**
 * What a stranger (no key, no token) can make the intake do: failed requests
 * are limited per client IP without ever limiting Notion's signed events.
 */
describe('webhook intake against strangers', () => {
  let app: NestFastifyApplication;
  let url: string;
  const token = `secret_${randomUUID()}`;
  let hook: string;

  beforeAll(async () => {
    app = await createGatewayApp(testConfig({ WEBHOOK_FAILURE_LIMIT: '5' }));
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    const project = await createProject(url);
    hook = `${url}${new URL(project.webhook.url).pathname}`;
    expect((await postFrom('127.0.0.1', hook, JSON.stringify({ verification_token: token }))).status).toBe(200);
    await fetch(`${url}/api/v1/projects/${project.id}/webhook/confirm`, { method: 'POST', headers: bearer() });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('answers an unknown URL, or an unsigned body larger than a handshake, without waiting for the body', async () => {
    // Only the head and a few bytes are sent: a server that read the body first would never answer.
    const headOnly = (target: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(target, {
          method: 'POST',
          localAddress: '127.0.0.4',
          headers: { 'content-type': 'application/json', 'content-length': 200_000, ...headers },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode!);
          req.destroy();
        });
        req.on('error', reject);
        req.write('{"id":');
      });
    expect(await headOnly(`${url}/api/v1/webhooks/notion/whk_${'C'.repeat(32)}`)).toBe(404);
    expect(await headOnly(hook)).toBe(401);
  });

  it("limits a client's failures (429 with Retry-After), never its correctly signed events, and no other client", async () => {
    const stranger = '127.0.0.2';
    const guess = `${url}/api/v1/webhooks/notion/whk_${'B'.repeat(32)}`;
    const unsigned = event();
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await postFrom(stranger, guess, unsigned)).status);
    expect(answers).toEqual([404, 404, 404, 404, 429]);
    const limited = await postFrom(stranger, hook, unsigned);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    // Bad signatures from it: 429 too (not 401).
    expect((await postFrom(stranger, hook, unsigned, { 'x-notion-signature': 'sha256=00' })).status).toBe(429);
    // A correctly signed event from the same address still lands.
    const raw = event();
    const signed = await postFrom(stranger, hook, raw, {
      'x-notion-signature': await signWebhookPayload({ body: raw, verificationToken: token }),
    });
    expect(signed.status).toBe(200);
    // Another client is not affected.
    expect((await postFrom('127.0.0.3', guess, unsigned)).status).toBe(404);
  });
});

/**
 * The built gateway as a real process, logging every request: the webhook
 * URL's key never reaches a log line or an error body, whatever the request.
 */
describe('the webhook key in the built gateway', () => {
  let gateway: AppProcess | undefined;

  afterAll(async () => {
    await gateway?.stop('SIGKILL');
  });

  it('never appears in a log line or an error body', async () => {
    const port = await freePort();
    gateway = AppProcess.start(
      'api-gateway',
      processEnv({ PORT: String(port), LOG_LEVEL: 'trace', PUBLIC_BASE_URL: `http://127.0.0.1:${port}` }),
    );
    await gateway.waitForReady(port);
    const base = `http://127.0.0.1:${port}`;
    const project = await createProject(base);
    const hookUrl = project.webhook.url;
    const key = hookUrl.split('/').pop()!;
    expect(key).toMatch(/^whk_/);

    const bodies: string[] = [];
    const failures: number[] = [];
    const send = async (init: RequestInit, target = hookUrl) => {
      const res = await fetch(target, init);
      bodies.push(await res.text());
      if (res.status >= 400) failures.push(res.status);
      return res.status;
    };
    const json = { 'content-type': 'application/json' };
    expect(
      await send({ method: 'POST', headers: json, body: JSON.stringify({ verification_token: 'secret_a' }) }),
    ).toBe(200);
    expect(await send({ method: 'POST', headers: json, body: event() })).toBe(401);
    expect(await send({ method: 'POST', headers: json, body: '{not json' })).toBe(401);
    expect(await send({ method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' })).toBe(415);
    expect(await send({ method: 'POST', headers: json, body: 'x'.repeat(300 * 1024) })).toBe(401);
    const signedLooking = { ...json, 'x-notion-signature': 'sha256=00' };
    expect(await send({ method: 'POST', headers: signedLooking, body: 'x'.repeat(300 * 1024) })).toBe(413);
    expect(await send({ method: 'GET' })).toBeGreaterThanOrEqual(400);
    expect(await send({ method: 'POST', headers: json, body: '{}' }, `${hookUrl}/extra`)).toBe(404);
    expect(await send({ method: 'POST', headers: json, body: '{}' }, `${hookUrl}?q=1`)).toBe(401);
    // The owner reads it (logged as a request like any other).
    expect((await fetch(`${base}/api/v1/projects/${project.id}/webhook`, { headers: bearer() })).status).toBe(200);

    await gateway.stop('SIGTERM');
    const output = gateway.output();
    expect(output).toContain('/api/v1/webhooks/notion/[redacted]');
    // One request line per failed webhook answer, none for the successful handshake.
    const webhookLines = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { req?: { url?: string }; res?: { statusCode: number } })
      .filter((line) => line.req?.url?.startsWith('/api/v1/webhooks/notion/') && line.res);
    expect(failures).toHaveLength(8);
    expect(webhookLines.map((line) => line.res!.statusCode).sort()).toEqual(failures.sort());
    expect(output).not.toContain(key);
    for (const body of bodies) expect(body).not.toContain(key);
  });
});

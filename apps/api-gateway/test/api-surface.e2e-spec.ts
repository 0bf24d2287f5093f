import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { signDevToken } from '@app/auth';
import { createGatewayApp } from '../src/bootstrap.js';
import { testConfig, testEnv } from '../../../test/jest/test-env.js';

/** OpenAPI, rate limiting, CORS and security headers of the gateway. */
describe('API surface', () => {
  const config = testConfig({
    THROTTLE_LIMIT: '3',
    THROTTLE_IP_LIMIT: '12',
    THROTTLE_TTL_SECONDS: '60',
    // Rate-limit counters of its own: the run's other gateways also call from 127.0.0.1.
    REDIS_KEY_PREFIX: `${testEnv().REDIS_KEY_PREFIX}-surface`,
    CORS_ORIGINS: 'https://app.example.com',
  });
  let app: NestFastifyApplication;
  let url: string;
  const auth = (sub: string) => ({
    authorization: `Bearer ${signDevToken({ secret: config.auth.mode === 'secret' ? config.auth.secret : '', sub, ttlSeconds: 600 })}`,
  });

  /** Every route the app registers with Fastify, as "METHOD /path". */
  const served: string[] = [];

  beforeAll(async () => {
    app = await createGatewayApp(config);
    // Routes are registered when the app initializes, after this hook is in place.
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRoute', (route) => {
        for (const method of [route.method].flat()) served.push(`${method} ${route.url}`);
      });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('serves an OpenAPI document that lists every route, with bearer auth and problem responses', async () => {
    const res = await fetch(`${url}/docs/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>;
      components: { securitySchemes: Record<string, { scheme: string }>; schemas: Record<string, unknown> };
    };
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
      )
      .sort();
    const routes = served.filter((route) => !/^(HEAD|OPTIONS) /.test(route) && !/ \/docs/.test(route)).sort();
    expect(routes.length).toBeGreaterThan(5);
    expect(documented).toEqual(routes);
    expect(doc.components.securitySchemes.bearer?.scheme).toBe('bearer');
    expect(doc.components.schemas.ProblemDetailsDto).toBeDefined();
    expect(doc.paths['/api/v1/projects/{id}']!.get!.responses['404']).toBeDefined();
    expect(doc.paths['/api/v1/projects']!.post!.security).toEqual([{ bearer: [] }]);
  });

  it('serves the API docs UI at /docs without a token', async () => {
    const res = await fetch(`${url}/docs`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger');
  });

  it('limits each user separately and answers 429 problem+json with Retry-After', async () => {
    const get = (sub: string) => fetch(`${url}/api/v1/projects`, { headers: auth(sub) });
    for (let i = 0; i < 3; i++) expect((await get('throttled-user')).status).toBe(200);
    const limited = await get('throttled-user');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await limited.json()).toMatchObject({ status: 429, title: 'Too Many Requests' });
    // Another user behind the same IP has a budget of their own.
    expect((await get('other-user')).status).toBe(200);
  });

  it('limits requests with bad or missing tokens per IP, before authentication', async () => {
    // This IP has spent 5 of its 12 already (the test above). Bad tokens count too.
    const answers: number[] = [];
    for (let i = 0; i < 9; i++) {
      answers.push((await fetch(`${url}/api/v1/projects`, { headers: { authorization: 'Bearer x.y.z' } })).status);
    }
    expect(answers.slice(0, 7)).toEqual(Array(7).fill(401));
    expect(answers.slice(7)).toEqual([429, 429]);
  });

  it('never rate-limits health probes', async () => {
    for (let i = 0; i < 6; i++) expect((await fetch(`${url}/health/live`)).status).toBe(200);
  });

  it('allows CORS from configured origins only, and sets security headers', async () => {
    const allowed = await fetch(`${url}/health/live`, { headers: { origin: 'https://app.example.com' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const other = await fetch(`${url}/health/live`, { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(allowed.headers.get('access-control-expose-headers')).toContain('location');
    for (const method of ['PATCH', 'DELETE']) {
      const preflight = await fetch(`${url}/api/v1/projects/x`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example.com',
          'access-control-request-method': method,
          'access-control-request-headers': 'authorization,content-type',
        },
      });
      expect(preflight.headers.get('access-control-allow-methods')).toContain(method);
    }
    expect(allowed.headers.get('x-content-type-options')).toBe('nosniff');
    expect(allowed.headers.get('strict-transport-security')).toContain('max-age=');
  });
});

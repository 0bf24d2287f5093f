import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { signDevToken } from '@app/auth';
import { createGatewayApp } from '../src/bootstrap.js';
import { pathParamLimit } from '../src/http/route-errors.js';
import { isolatedEnv, type IsolatedEnv } from '../../../test/jest/isolated-env.js';
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
    // Every list answers its rows as `items`, the change feed too.
    const fields = (schema: string) =>
      Object.keys((doc.components.schemas[schema] as { properties: object }).properties);
    expect(fields('ProjectListResponseDto')).toEqual(['items', 'nextCursor']);
    expect(fields('PageListResponseDto')).toEqual(['items', 'nextCursor']);
    expect(fields('SyncFailureListResponseDto')).toEqual(['items']);
    expect(fields('PageChangesResponseDto')).toEqual(['items', 'nextAfter', 'hasMore']);
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

/**
 * A frontend's dev server on this machine (Vite's http://localhost:5173)
 * calling a local stack: let in by default in development only.
 */
describe('CORS for a browser app on this machine', () => {
  const FRONTEND = 'http://localhost:5173';
  const apps: NestFastifyApplication[] = [];

  /** A gateway of its own with these variables; its URL. */
  const gateway = async (env: Record<string, string>) => {
    const app = await createGatewayApp(testConfig({ LOG_LEVEL: 'silent', ...env }));
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    return app.getUrl();
  };
  const preflight = (url: string, origin: string) =>
    fetch(`${url}/api/v1/projects`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });

  let isolated: IsolatedEnv | undefined;

  afterAll(async () => {
    for (const app of apps) await app.close();
    await isolated?.dispose();
  });

  it('lets loopback origins in, on any port, in development without CORS_ORIGINS', async () => {
    const url = await gateway({ NODE_ENV: 'development' });
    for (const origin of [FRONTEND, 'http://127.0.0.1:8080', 'http://[::1]:3001']) {
      const res = await preflight(url, origin);
      expect({ origin, status: res.status }).toEqual({ origin, status: 204 });
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-allow-methods')).toContain('POST');
      expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      expect(res.headers.get('vary')).toMatch(/origin/i);
    }
    const answer = await fetch(`${url}/api/v1/projects`, { headers: { origin: FRONTEND } });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('access-control-allow-origin')).toBe(FRONTEND);
    expect(answer.headers.get('access-control-expose-headers')).toContain('location');
    // Pages from elsewhere are not: their preflight is a method the path does not have.
    for (const origin of ['https://app.example.com', 'http://192.168.1.20:5173']) {
      const res = await preflight(url, origin);
      expect({ origin, status: res.status }).toEqual({ origin, status: 405 });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('lets no origin in, loopback included, in production without CORS_ORIGINS', async () => {
    // A database of its own: a production key ring lacks the key of the run's other projects.
    isolated = await isolatedEnv('cors');
    const url = await gateway({
      ...isolated.env,
      NODE_ENV: 'production',
      JWT_SECRET: randomBytes(32).toString('hex'),
      JWT_ISSUER: 'https://id.example.com/',
      JWT_AUDIENCE: 'notion-sync-api',
      ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      PUBLIC_BASE_URL: 'http://localhost:3000',
    });
    const res = await preflight(url, FRONTEND);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, POST');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets in only the listed origins when CORS_ORIGINS is set, in development too', async () => {
    const url = await gateway({ NODE_ENV: 'development', CORS_ORIGINS: 'https://app.example.com' });
    const listed = await preflight(url, 'https://app.example.com');
    expect(listed.status).toBe(204);
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const local = await preflight(url, FRONTEND);
    expect(local.headers.get('access-control-allow-origin')).toBeNull();
  });
});

type Schema = {
  type?: string;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: unknown;
  $ref?: string;
};
interface Parameter {
  name: string;
  in: 'path' | 'query';
  required?: boolean;
  schema: Schema;
}
interface Response {
  headers?: Record<string, unknown>;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, Response>;
  security?: unknown[];
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/**
 * The OpenAPI document against the server's behaviour, route by route, so
 * generated clients and fuzzers agree with it: what it documents happens, and
 * what happens is documented. Its own gateway, limits out of reach: it sends
 * many requests.
 */
describe('the OpenAPI document says what the server enforces', () => {
  const ORIGIN = 'https://app.example.com';
  const config = testConfig({
    THROTTLE_LIMIT: '100000',
    THROTTLE_IP_LIMIT: '100000',
    CORS_ORIGINS: ORIGIN,
    LOG_LEVEL: 'error',
  });
  let app: NestFastifyApplication;
  let url: string;
  let doc: OpenApiDocument;
  /** Requests are this user's, and path ids name their project: only the value under test is wrong. */
  const owner = `user_${randomUUID()}`;
  let projectId: string;
  /** The project's webhook key: the intake answers an unknown key 404 before it reads a body. */
  let webhookKey: string;
  const token = (sub = owner) =>
    signDevToken({ secret: config.auth.mode === 'secret' ? config.auth.secret : '', sub, ttlSeconds: 600 });

  /** A request body each documented body schema accepts; a new body DTO needs one here. */
  const VALID_BODIES: Record<string, () => Record<string, unknown>> = {
    CreateProjectDto: () => ({ name: 'Roadmap', notionDatabaseId: randomUUID(), notionToken: 'ntn_valid0123456789' }),
    UpdateProjectDto: () => ({}),
    QueryPagesDto: () => ({}),
  };
  /** A valid value of each path parameter: the owner's project, else one by the documented format. */
  const validPathValue = (param: Parameter) =>
    param.name === 'id'
      ? projectId
      : param.name === 'key'
        ? webhookKey
        : param.schema.format === 'uuid'
          ? randomUUID()
          : randomBytes(16).toString('hex');

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })),
    );
  const pathParams = (operation: Operation) => (operation.parameters ?? []).filter((p) => p.in === 'path');
  const bodySchema = (operation: Operation): { name: string; schema: Schema } | undefined => {
    const ref = operation.requestBody?.content['application/json']?.schema.$ref;
    if (!ref) return undefined;
    const name = ref.replace('#/components/schemas/', '');
    return { name, schema: doc.components.schemas[name]! };
  };

  interface Request {
    path: string;
    method: string;
    operation: Operation;
    params?: Record<string, string>;
    query?: Record<string, string>;
    body?: unknown;
    headers?: Record<string, string>;
  }
  /** Sends a request to a documented operation: valid values wherever the caller gives none. */
  const send = async ({ path, method, operation, params = {}, query, body, headers = {} }: Request) => {
    const target = path.replace(/\{(\w+)\}/g, (_match, name: string) => {
      const param = pathParams(operation).find((p) => p.name === name)!;
      return encodeURIComponent(params[name] ?? validPathValue(param));
    });
    const search = query ? `?${new URLSearchParams(query)}` : '';
    const res = await fetch(`${url}${target}${search}`, {
      method,
      headers: {
        authorization: `Bearer ${token()}`,
        origin: ORIGIN,
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    // A change stream that opened never ends: its head is the answer.
    if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
      await res.body?.cancel();
      return { status: res.status, headers: res.headers, text: '', body: undefined };
    }
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: text ? (JSON.parse(text) as any) : undefined };
  };
  const validBody = (operation: Operation) => {
    const body = bodySchema(operation);
    return body ? VALID_BODIES[body.name]!() : undefined;
  };
  /** A problem+json answer with the headers every answer has. */
  const expectProblem = (res: Awaited<ReturnType<typeof send>>, status: number) => {
    expect(`${res.status} ${res.text}`).toMatch(new RegExp(`^${status} `));
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.headers.get('x-request-id')).toEqual(expect.any(String));
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(res.body).toMatchObject({ status, type: 'about:blank' });
  };

  beforeAll(async () => {
    app = await createGatewayApp(config);
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    doc = (await (await fetch(`${url}/docs/openapi.json`)).json()) as OpenApiDocument;
    const created = await fetch(`${url}/api/v1/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token()}`, 'content-type': 'application/json' },
      body: JSON.stringify(VALID_BODIES.CreateProjectDto!()),
    });
    const project = (await created.json()) as { id: string; webhook: { url: string } };
    projectId = project.id;
    webhookKey = project.webhook.url.split('/').pop()!;
  });

  afterAll(async () => {
    await app?.close();
  });

  it('documents 414 on every route with a path parameter, answered as problem+json past 100 characters', async () => {
    const routes = operations().filter(({ operation }) => pathParams(operation).length > 0);
    expect(routes.length).toBeGreaterThan(5);
    for (const route of routes) {
      expect(`${route.method} ${route.path}: ${Object.keys(route.operation.responses)}`).toContain('414');
      for (const param of pathParams(route.operation)) {
        // 100 characters, or more for a parameter that needs it (a file link's ref).
        const limit = pathParamLimit(param.name);
        const long = `k${'x'.repeat(limit)}`;
        const res = await send({ ...route, params: { [param.name]: long }, body: validBody(route.operation) });
        expectProblem(res, 414);
        // The path may hold a secret webhook key: the detail never quotes it.
        expect(res.body.detail).toBe(`A path segment is longer than ${limit} characters`);
      }
    }
  });

  it('limits named path parameters only: CORS preflights and wildcard paths (docs assets) are never 414', async () => {
    for (const { method, path, operation } of operations()) {
      const target = path.replace(/\{(\w+)\}/g, (_match, name: string) =>
        validPathValue(pathParams(operation).find((p) => p.name === name)!),
      );
      const preflight = await fetch(`${url}${target}`, {
        method: 'OPTIONS',
        headers: { origin: ORIGIN, 'access-control-request-method': method },
      });
      expect(`${method} ${path}: ${preflight.status}`).toMatch(/: 204$/);
      expect(preflight.headers.get('access-control-allow-methods')).toContain(method);
    }
    expect((await fetch(`${url}/docs/${'a'.repeat(150)}.js`)).status).toBe(404);
  });

  it('documents 413 and 415 on every route whose method carries a body, and answers them', async () => {
    const routes = operations().filter(({ method }) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method));
    expect(routes.length).toBeGreaterThan(5);
    for (const route of routes) {
      expect(`${route.method} ${route.path}: ${Object.keys(route.operation.responses)}`).toMatch(/400.*413.*415/);
      expectProblem(await send({ ...route, body: 'a=1', headers: { 'content-type': 'text/plain' } }), 415);
      const huge = JSON.stringify({ pad: 'x'.repeat(config.gateway.webhook.bodyLimitBytes) });
      // Signed-looking: the intake refuses an unsigned body past a handshake's size (401) before any limit.
      expectProblem(await send({ ...route, body: huge, headers: { 'x-notion-signature': 'sha256=00' } }), 413);
    }
  });

  it('documents request bodies as additionalProperties: false, and refuses an unknown field', async () => {
    const routes = operations().filter(({ operation }) => bodySchema(operation));
    expect(routes.map((r) => bodySchema(r.operation)!.name).sort()).toEqual(
      expect.arrayContaining(['CreateProjectDto', 'UpdateProjectDto']),
    );
    for (const route of routes) {
      const { name, schema } = bodySchema(route.operation)!;
      expect(`${name}: ${schema.additionalProperties}`).toBe(`${name}: false`);
      expect(VALID_BODIES[name]).toBeDefined();
      const res = await send({ ...route, body: { ...VALID_BODIES[name]!(), unexpected: 1 } });
      expectProblem(res, 400);
      expect(res.body.errors).toEqual([{ field: 'unexpected', messages: [expect.any(String)] }]);
    }
  });

  it('documents the headers the server sends: WWW-Authenticate, Retry-After, X-RateLimit-*, Location', async () => {
    for (const { method, path, operation } of operations()) {
      const where = `${method} ${path}`;
      const headersOf = (status: string) => Object.keys(operation.responses[status]?.headers ?? {});
      if (operation.security?.length) {
        expect(`${where}: ${headersOf('401')}`).toContain('WWW-Authenticate');
        expect(`${where}: ${headersOf('503')}`).toContain('Retry-After');
      }
      if (operation.responses['429']) {
        expect(`${where}: ${headersOf('429')}`).toContain('Retry-After');
        for (const status of Object.keys(operation.responses).filter((s) => s.startsWith('2'))) {
          expect(`${where} ${status}: ${headersOf(status)}`).toContain('X-RateLimit-Remaining');
        }
      }
      if (operation.responses['201']) expect(`${where}: ${headersOf('201')}`).toContain('Location');
    }
    const projects = { path: '/api/v1/projects', operation: doc.paths['/api/v1/projects']!.post! };
    const created = await send({ ...projects, method: 'POST', body: VALID_BODIES.CreateProjectDto!() });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/api/v1/projects/${created.body.id}`);
    expect(created.headers.get('x-ratelimit-remaining')).toEqual(expect.any(String));
    const anonymous = await fetch(`${url}/api/v1/projects`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
  });

  /** Values that break one documented constraint of a string or integer, and nothing else. */
  const violations = (schema: Schema, where: 'path' | 'query' | 'body'): unknown[] => {
    const found: unknown[] = [];
    if (schema.type === 'integer') {
      if (schema.maximum !== undefined) found.push(schema.maximum + 1);
      if (schema.minimum !== undefined) found.push(schema.minimum - 1);
      found.push(1.5);
    } else if (schema.type === 'boolean') {
      found.push('yes');
    } else if (schema.type === 'string') {
      if (schema.maxLength !== undefined) found.push('7'.repeat(schema.maxLength + 1));
      if (schema.minLength && where !== 'path') found.push('7'.repeat(schema.minLength - 1));
      if (schema.pattern) {
        const pattern = new RegExp(schema.pattern);
        const fits = (value: string) =>
          (schema.maxLength === undefined || [...value].length <= schema.maxLength) &&
          [...value].length >= (schema.minLength ?? 1);
        const candidates = [
          'x',
          '!',
          ' ',
          'a\u0000b',
          'é',
          '😀',
          'zz-zz',
          '9'.repeat(19),
          '1'.repeat(20),
          'g'.repeat(32),
        ];
        found.push(...candidates.filter((value) => fits(value) && !pattern.test(value)).slice(0, 3));
      }
    }
    return found;
  };
  /** A query or path value as it travels: integers and booleans in their decimal or literal form. */
  const asText = (value: unknown) => String(value);

  it('answers 400 to a value just past each documented constraint (parameters and body fields)', async () => {
    let checked = 0;
    for (const route of operations()) {
      const { operation } = route;
      for (const param of operation.parameters ?? []) {
        for (const value of violations(param.schema, param.in)) {
          const res =
            param.in === 'path'
              ? await send({ ...route, params: { [param.name]: asText(value) }, body: validBody(operation) })
              : await send({ ...route, query: { [param.name]: asText(value) }, body: validBody(operation) });
          expect(`${route.method} ${route.path} ${param.name}=${JSON.stringify(value)}: ${res.status}`).toMatch(
            / 400$/,
          );
          checked++;
        }
      }
      const body = bodySchema(operation);
      for (const [field, schema] of Object.entries(body?.schema.properties ?? {})) {
        for (const value of violations(schema, 'body')) {
          const res = await send({ ...route, body: { ...VALID_BODIES[body!.name]!(), [field]: value } });
          expect(`${route.method} ${route.path} ${field}=${JSON.stringify(value)}: ${res.status}`).toMatch(/ 400$/);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('counts maxLength in characters (code points), as the document does: emoji count as ASCII does', async () => {
    let checked = 0;
    for (const route of operations()) {
      const body = bodySchema(route.operation);
      const fields = [
        ...(route.operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => ({ ...p, in: 'query' })),
        ...Object.entries(body?.schema.properties ?? {}).map(([name, schema]) => ({ name, schema, in: 'body' })),
      ];
      /** Whether `value` in the field draws a field error for it. */
      const refused = async (name: string, where: string, value: string) => {
        const res =
          where === 'query'
            ? await send({ ...route, query: { [name]: value }, body: validBody(route.operation) })
            : await send({ ...route, body: { ...VALID_BODIES[body!.name]!(), [name]: value } });
        return ((res.body?.errors ?? []) as { field: string }[]).some((e) => e.field === name);
      };
      for (const { name, schema, in: where } of fields) {
        const { maxLength, pattern } = schema;
        const emoji = '😀'.repeat(maxLength ?? 0);
        if (!maxLength || (pattern && !new RegExp(pattern).test(emoji))) continue;
        // Fields with rules of their own (a database id) refuse both: only compare where ASCII passes.
        if (await refused(name, where, 'x'.repeat(maxLength))) continue;
        expect(`${route.method} ${route.path} ${name}: ${await refused(name, where, emoji)}`).toMatch(/ false$/);
        checked++;
      }
    }
    // name (create and patch) and q, at least.
    expect(checked).toBeGreaterThanOrEqual(3);
  });

  it('documents path ids as any UUID (format: uuid), and the server takes any', async () => {
    const route = { path: '/api/v1/projects/{id}', method: 'GET', operation: doc.paths['/api/v1/projects/{id}']!.get! };
    expect(route.operation.parameters!.find((p) => p.name === 'id')!.schema).toMatchObject({ format: 'uuid' });
    // Version 0 and an RFC 4122 variant bit unset: a UUID by the format, unknown here (404, not 400).
    for (const id of ['12345678-1234-0234-0234-123456789abc', 'ABCDEF01-2345-6789-ABCD-EF0123456789']) {
      const res = await send({ ...route, params: { id } });
      expect(res.status).toBe(404);
      expect(res.body.type).toBe('urn:notion-sync:problem:project-not-found');
    }
  });

  it('answers a method the path does not have with 405 problem+json and Allow', async () => {
    const cases: [string, string, string][] = [
      ['PUT', '/api/v1/projects', 'GET, HEAD, POST'],
      ['DELETE', '/api/v1/projects', 'GET, HEAD, POST'],
      ['PUT', `/api/v1/projects/${randomUUID()}`, 'GET, HEAD, PATCH, DELETE'],
      ['GET', `/api/v1/projects/${randomUUID()}/sync`, 'POST'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token()}`, origin: ORIGIN },
      });
      const text = await res.text();
      const answer = { status: res.status, headers: res.headers, text, body: JSON.parse(text) as any };
      expectProblem(answer, 405);
      expect(res.headers.get('allow')).toBe(allow);
      expect(answer.body.detail).not.toContain('/api');
    }
  });

  it('answers unknown paths 404 problem+json without quoting the path, and takes undecodable paths literally', async () => {
    for (const path of ['/api/v1/nothing/secret-key-0123', '/api/v1/webhooks/notion/secret-key-0123/extra']) {
      const res = await fetch(`${url}${path}`, { method: 'POST', headers: { origin: ORIGIN } });
      const text = await res.text();
      expectProblem({ status: res.status, headers: res.headers, text, body: JSON.parse(text) }, 404);
      expect(JSON.parse(text).detail).toBe('No route matches this path');
    }
    // Not valid percent-encoding: Fastify's raw 400 quoted the path; now it is an ordinary bad id.
    const res = await fetch(`${url}/api/v1/projects/%zz-secret`, {
      headers: { authorization: `Bearer ${token()}`, origin: ORIGIN },
    });
    const text = await res.text();
    expectProblem({ status: res.status, headers: res.headers, text, body: JSON.parse(text) }, 400);
    expect(JSON.parse(text).errors).toEqual([{ field: 'id', messages: ['id must be a UUID'] }]);
  });
});

import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Module, type DynamicModule, type LoggerService } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuthModule, CurrentUser, Public, signDevToken, type AuthUser } from '@app/auth';
import { ConfigModule, type AppConfig } from '@app/config';
import { ProblemDetailsFilter } from '../src/http/problem-details.filter.js';
import { testConfig } from '../../../test/jest/test-env.js';

const SECRET = 'an-e2e-secret-that-is-long-enough-0123456789';
const ISSUER = 'https://id.example.test/';
const AUDIENCE = 'notion-sync-api';
const SUBJECTS = ['auth0|abc', 'user_123', '0b6f4c1e-8a51-4c2e-9f3e-1d2a3b4c5d6e'];

@Controller('me')
class MeController {
  @Get()
  me(@CurrentUser() user: AuthUser): AuthUser {
    return user;
  }

  @Public()
  @Get('public')
  open(): { open: true } {
    return { open: true };
  }

  /** A wiring bug: a public route asking for the user. */
  @Public()
  @Get('public-user')
  publicUser(@CurrentUser() user: AuthUser): AuthUser {
    return user;
  }
}

@Public()
@Controller('status')
class StatusController {
  @Get()
  status(): { ok: true } {
    return { ok: true };
  }
}

@Module({})
class AuthTestModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AuthTestModule,
      imports: [ConfigModule.forRoot(config), AuthModule],
      controllers: [MeController, StatusController],
      // The gateway's own error rendering, so refusals are checked as clients see them.
      providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }],
    };
  }
}

/** Every log line the app writes, to check that none carries a token. */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  private record = (...args: unknown[]) => void this.lines.push(args.map((a) => String(a)).join(' '));
  log = this.record;
  error = this.record;
  warn = this.record;
  debug = this.record;
  verbose = this.record;
  fatal = this.record;
}

interface Running {
  readonly url: string;
  readonly logger: CapturingLogger;
  close(): Promise<void>;
}

async function startApp(env: Record<string, string>): Promise<Running> {
  const logger = new CapturingLogger();
  const app = await NestFactory.create<NestFastifyApplication>(
    AuthTestModule.forRoot(testConfig(env)),
    // A plain adapter, not @app/observability's: auth needs only Fastify's request and reply.
    new FastifyAdapter(),
    { logger },
  );
  await app.listen(0, '127.0.0.1');
  return { url: await app.getUrl(), logger, close: () => app.close() };
}

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly challenge: string | null;
  readonly retryAfter: string | null;
}

async function call(url: string, authorization?: string): Promise<Answer> {
  const res = await fetch(url, { headers: authorization ? { authorization } : {} });
  return {
    status: res.status,
    text: await res.text(),
    challenge: res.headers.get('www-authenticate'),
    retryAfter: res.headers.get('retry-after'),
  };
}

const now = () => Math.floor(Date.now() / 1000);
const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token assembled by hand, for the algorithms and shapes a well-behaved library refuses to sign. */
function handMade(header: object, claims: object, sign: (input: string) => string): string {
  const input = `${b64url(header)}.${b64url(claims)}`;
  return `${input}.${sign(input)}`;
}
const hs256 = (key: string | Buffer) => (input: string) => createHmac('sha256', key).update(input).digest('base64url');

/** Checks a refusal: 401, a short message, the challenge, and the token nowhere in body or logs. */
function expectRefused(answer: Answer, token: string, logger: CapturingLogger): void {
  expect(answer.status).toBe(401);
  expect(answer.challenge).toMatch(/^Bearer\b/);
  const body = JSON.parse(answer.text) as { type: string; status: number; detail: string };
  expect(body).toMatchObject({ type: 'about:blank', title: 'Unauthorized', status: 401 });
  expect(body.detail).toMatch(/^(Missing|Invalid|Expired) bearer token$/);
  if (token) {
    expect(answer.text).not.toContain(token);
    // The signature alone is enough to be sensitive.
    const signature = token.split('.').pop()!;
    if (signature) expect(answer.text).not.toContain(signature);
    expect(logger.lines.join('\n')).not.toContain(token);
  }
}

describe('authentication with JWT_SECRET (HS256)', () => {
  let app: Running;
  const sign = (claims: object, secret = SECRET) => new JwtService().sign(claims, { secret, algorithm: 'HS256' });

  beforeAll(async () => {
    app = await startApp({ JWT_SECRET: SECRET });
  });
  afterAll(async () => {
    await app?.close();
  });

  it.each(SUBJECTS)('lets a valid token for %p through as that user', async (sub) => {
    const answer = await call(`${app.url}/me`, `Bearer ${signDevToken({ secret: SECRET, sub, ttlSeconds: 60 })}`);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ id: sub });
  });

  it('needs no token on a @Public() route or controller', async () => {
    expect(await call(`${app.url}/me/public`)).toMatchObject({ status: 200, text: '{"open":true}' });
    expect(await call(`${app.url}/status`)).toMatchObject({ status: 200, text: '{"ok":true}' });
  });

  it('fails loudly (500), not as an anonymous user, when @CurrentUser() is used on a public route', async () => {
    const answer = await call(
      `${app.url}/me/public-user`,
      `Bearer ${signDevToken({ secret: SECRET, sub: 'alice', ttlSeconds: 60 })}`,
    );
    expect(answer.status).toBe(500);
  });

  it('answers 401 with a bare challenge when there is no bearer token', async () => {
    for (const header of [undefined, 'Bearer', 'Bearer ', `Basic ${Buffer.from('alice:pw').toString('base64')}`]) {
      const answer = await call(`${app.url}/me`, header);
      expectRefused(answer, '', app.logger);
      expect(JSON.parse(answer.text)).toMatchObject({ detail: 'Missing bearer token' });
      expect(answer.challenge).toBe('Bearer');
    }
  });

  const refused: Array<[string, () => string]> = [
    ['garbage', () => 'not-a-jwt'],
    ['three garbage segments', () => 'aaa.bbb.ccc'],
    ['an expired token', () => sign({ sub: 'alice', exp: now() - 5 })],
    ['a token signed with another secret', () => sign({ sub: 'alice', exp: now() + 60 }, `${SECRET}-other`)],
    ['a tampered payload', () => tamper(sign({ sub: 'alice', exp: now() + 60 }), { sub: 'mallory' })],
    ['alg none', () => handMade({ alg: 'none', typ: 'JWT' }, { sub: 'alice', exp: now() + 60 }, () => '')],
    ['alg none with a signature', () => handMade({ alg: 'none' }, { sub: 'alice', exp: now() + 60 }, hs256(SECRET))],
    [
      'HS512 with the right secret',
      () => new JwtService().sign({ sub: 'alice' }, { secret: SECRET, algorithm: 'HS512', expiresIn: 60 }),
    ],
    ['no exp', () => sign({ sub: 'alice' })],
    ['no sub', () => sign({ exp: now() + 60 })],
    ['an empty sub', () => sign({ sub: '', exp: now() + 60 })],
    ['a numeric sub', () => sign({ sub: 42, exp: now() + 60 })],
    ['a future nbf', () => sign({ sub: 'alice', exp: now() + 60, nbf: now() + 30 })],
  ];

  it.each(refused)('answers 401 to %s', async (_case, make) => {
    const token = make();
    const answer = await call(`${app.url}/me`, `Bearer ${token}`);
    expectRefused(answer, token, app.logger);
    expect(answer.challenge).toMatch(/^Bearer error="invalid_token"/);
  });

  it('says an expired token is expired', async () => {
    const answer = await call(`${app.url}/me`, `Bearer ${sign({ sub: 'alice', exp: now() - 5 })}`);
    expect(JSON.parse(answer.text)).toMatchObject({ status: 401, detail: 'Expired bearer token' });
    // The reason is logged (so the log checks above see real lines), without the token.
    expect(app.logger.lines.join('\n')).toMatch(/Token refused: jwt expired/);
  });
});

/** Replaces claims in a signed token, keeping its header and signature. */
function tamper(token: string, claims: object): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const original = JSON.parse(Buffer.from(payload, 'base64url').toString()) as object;
  return `${header}.${b64url({ ...original, ...claims })}.${signature}`;
}

describe('authentication with JWT_ISSUER and JWT_AUDIENCE', () => {
  let app: Running;
  const sign = (claims: object) => new JwtService().sign(claims, { secret: SECRET, algorithm: 'HS256', expiresIn: 60 });

  beforeAll(async () => {
    app = await startApp({ JWT_SECRET: SECRET, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('lets a token with the right issuer and audience through (as npm run token signs it)', async () => {
    const token = signDevToken({ secret: SECRET, sub: 'user_123', ttlSeconds: 60, issuer: ISSUER, audience: AUDIENCE });
    const answer = await call(`${app.url}/me`, `Bearer ${token}`);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ id: 'user_123' });
  });

  it('accepts the audience among several', async () => {
    const answer = await call(
      `${app.url}/me`,
      `Bearer ${sign({ sub: 'alice', iss: ISSUER, aud: ['other', AUDIENCE] })}`,
    );
    expect(answer.status).toBe(200);
  });

  it.each([
    ['a wrong issuer', { sub: 'alice', iss: 'https://evil.example.test/', aud: AUDIENCE }],
    ['no issuer', { sub: 'alice', aud: AUDIENCE }],
    ['a wrong audience', { sub: 'alice', iss: ISSUER, aud: 'another-api' }],
    ['no audience', { sub: 'alice', iss: ISSUER }],
  ])('answers 401 to %s', async (_case, claims) => {
    const token = sign(claims);
    expectRefused(await call(`${app.url}/me`, `Bearer ${token}`), token, app.logger);
  });
});

describe('authentication with JWT_JWKS_URI (RS256, ES256)', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = (key: KeyObject, kid: string, alg: string) => ({
    ...key.export({ format: 'jwk' }),
    kid,
    alg,
    use: 'sig',
  });
  const jwks = { keys: [jwk(rsa.publicKey, 'rsa-1', 'RS256'), jwk(ec.publicKey, 'ec-1', 'ES256')] };
  let jwksServer: Server;
  let jwksRequests = 0;
  let app: Running;

  const sign = (claims: object, key: KeyObject, algorithm: 'RS256' | 'ES256' | 'RS512', keyid: string) =>
    new JwtService().sign(claims, { privateKey: key, algorithm, keyid, expiresIn: 60 });

  beforeAll(async () => {
    jwksServer = createServer((req, res) => {
      jwksRequests += 1;
      if (req.url !== '/jwks.json') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const { port } = jwksServer.address() as { port: number };
    app = await startApp({ JWT_JWKS_URI: `http://127.0.0.1:${port}/jwks.json`, JWT_ISSUER: ISSUER });
  });
  afterAll(async () => {
    await app?.close();
    await new Promise((resolve) => jwksServer?.close(resolve));
  });

  it('lets RS256 and ES256 tokens signed by the JWKS keys through, and caches their keys', async () => {
    const rs = await call(
      `${app.url}/me`,
      `Bearer ${sign({ sub: 'auth0|abc', iss: ISSUER }, rsa.privateKey, 'RS256', 'rsa-1')}`,
    );
    expect(rs.status).toBe(200);
    expect(JSON.parse(rs.text)).toEqual({ id: 'auth0|abc' });
    const es = await call(
      `${app.url}/me`,
      `Bearer ${sign({ sub: 'user_123', iss: ISSUER }, ec.privateKey, 'ES256', 'ec-1')}`,
    );
    expect(es.status).toBe(200);
    expect(JSON.parse(es.text)).toEqual({ id: 'user_123' });
    // jwks-rsa caches per kid: at most one fetch per key, none for a key it has.
    const fetched = jwksRequests;
    expect(fetched).toBeLessThanOrEqual(2);
    const again = await call(
      `${app.url}/me`,
      `Bearer ${sign({ sub: 'auth0|abc', iss: ISSUER }, rsa.privateKey, 'RS256', 'rsa-1')}`,
    );
    expect(again.status).toBe(200);
    expect(jwksRequests).toBe(fetched);
  });

  it('still needs no token on a public route', async () => {
    expect((await call(`${app.url}/me/public`)).status).toBe(200);
  });

  const publicPem = rsa.publicKey.export({ format: 'pem', type: 'spki' });
  const claims = () => ({ sub: 'alice', iss: ISSUER, exp: now() + 60 });
  const refused: Array<[string, () => string]> = [
    // Key confusion: an HS256 token "signed" with the published public key.
    ['HS256 with the public key as secret', () => handMade({ alg: 'HS256', kid: 'rsa-1' }, claims(), hs256(publicPem))],
    ['HS256 with a secret', () => handMade({ alg: 'HS256', kid: 'rsa-1' }, claims(), hs256(SECRET))],
    ['alg none', () => handMade({ alg: 'none', kid: 'rsa-1' }, claims(), () => '')],
    ['an unknown kid', () => sign({ sub: 'alice', iss: ISSUER }, rsa.privateKey, 'RS256', 'rotated-away')],
    [
      'a key not in the JWKS',
      () =>
        sign(
          { sub: 'alice', iss: ISSUER },
          generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
          'RS256',
          'rsa-1',
        ),
    ],
    ['an RS256 header on the EC key', () => sign({ sub: 'alice', iss: ISSUER }, rsa.privateKey, 'RS256', 'ec-1')],
    ['RS512, not pinned', () => sign({ sub: 'alice', iss: ISSUER }, rsa.privateKey, 'RS512', 'rsa-1')],
    [
      'a wrong issuer',
      () => sign({ sub: 'alice', iss: 'https://evil.example.test/' }, rsa.privateKey, 'RS256', 'rsa-1'),
    ],
    [
      'an expired token',
      () =>
        new JwtService().sign(
          { sub: 'alice', iss: ISSUER, exp: now() - 5 },
          { privateKey: rsa.privateKey, algorithm: 'RS256', keyid: 'rsa-1' },
        ),
    ],
  ];

  it.each(refused)('answers 401 to %s', async (_case, make) => {
    const token = make();
    expectRefused(await call(`${app.url}/me`, `Bearer ${token}`), token, app.logger);
  });
});

// Its own block: passport keeps one 'jwt' strategy per process, so apps run one at a time.
describe('authentication with an unreachable JWT_JWKS_URI', () => {
  it('answers 503 with Retry-After (the token may be valid), and warns that the keys are unavailable', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    // Port 9 (discard) on loopback: nothing listens there.
    const app = await startApp({ JWT_JWKS_URI: 'http://127.0.0.1:9/jwks.json' });
    try {
      const token = new JwtService().sign(
        { sub: 'alice' },
        { privateKey, algorithm: 'RS256', keyid: 'k', expiresIn: 60 },
      );
      const answer = await call(`${app.url}/me`, `Bearer ${token}`);
      expect(answer.status).toBe(503);
      expect(answer.retryAfter).toBe('5');
      expect(JSON.parse(answer.text)).toMatchObject({
        status: 503,
        detail: 'Token keys are unavailable right now; retry shortly',
      });
      expect(answer.text).not.toContain(token);
      expect(app.logger.lines.join('\n')).toMatch(/Token keys unavailable/);
    } finally {
      await app.close();
    }
  });
});

// RFC 8725: a signature is not enough; what the token is and how long it lives matter too.
describe('authentication: token type and lifetime bounds', () => {
  let app: Running;
  const MAX = 3600;
  const signed = (header: object, claims: object) => handMade({ alg: 'HS256', ...header }, claims, hs256(SECRET));

  beforeAll(async () => {
    app = await startApp({ JWT_SECRET: SECRET, JWT_MAX_LIFETIME_SECONDS: String(MAX), JWT_CLOCK_SKEW_SECONDS: '60' });
  });
  afterAll(async () => {
    await app?.close();
  });

  const accepted: Array<[string, () => string]> = [
    ['the longest lifetime', () => signed({ typ: 'JWT' }, { sub: 'alice', iat: now(), exp: now() + MAX })],
    ['an access-token type (at+jwt)', () => signed({ typ: 'at+jwt' }, { sub: 'alice', iat: now(), exp: now() + 60 })],
    ['a media type spelt out', () => signed({ typ: 'application/JWT' }, { sub: 'alice', iat: now(), exp: now() + 60 })],
    ['no typ', () => signed({}, { sub: 'alice', iat: now(), exp: now() + 60 })],
    ['an iat a little ahead (clock skew)', () => signed({}, { sub: 'alice', iat: now() + 30, exp: now() + 90 })],
    // No iat: the bound on exp from now still caps its use (see token-policy.ts).
    ['no iat, exp within the bound', () => signed({}, { sub: 'alice', exp: now() + MAX })],
    ['what npm run token mints', () => signDevToken({ secret: SECRET, sub: 'alice', ttlSeconds: MAX })],
  ];

  it.each(accepted)('lets %s through', async (_case, make) => {
    const answer = await call(`${app.url}/me`, `Bearer ${make()}`);
    expect({ status: answer.status, text: answer.text }).toEqual({ status: 200, text: '{"id":"alice"}' });
  });

  const refused: Array<[string, () => string]> = [
    ['a lifetime over the maximum', () => signed({ typ: 'JWT' }, { sub: 'alice', iat: now(), exp: now() + MAX + 1 })],
    [
      'a long-lived token in its last minute',
      () => signed({ typ: 'JWT' }, { sub: 'alice', iat: now() - 30 * 86_400, exp: now() + 60 }),
    ],
    ['an iat in the future', () => signed({ typ: 'JWT' }, { sub: 'alice', iat: now() + 600, exp: now() + 900 })],
    ['no iat and an exp years ahead', () => signed({ typ: 'JWT' }, { sub: 'alice', exp: now() + 5 * 365 * 86_400 })],
    ['a string iat', () => signed({ typ: 'JWT' }, { sub: 'alice', iat: String(now()), exp: now() + 60 })],
    ['an ID token (typ id_token+jwt)', () => signed({ typ: 'id_token+jwt' }, { sub: 'alice', exp: now() + 60 })],
    ['a DPoP proof (typ dpop+jwt)', () => signed({ typ: 'dpop+jwt' }, { sub: 'alice', exp: now() + 60 })],
    ['typ JWS', () => signed({ typ: 'JWS' }, { sub: 'alice', exp: now() + 60 })],
    ['critical header extensions', () => signed({ typ: 'JWT', crit: ['exp'] }, { sub: 'alice', exp: now() + 60 })],
  ];

  it.each(refused)('answers 401 to %s', async (_case, make) => {
    const token = make();
    const answer = await call(`${app.url}/me`, `Bearer ${token}`);
    expectRefused(answer, token, app.logger);
    expect(answer.challenge).toBe('Bearer error="invalid_token", error_description="Invalid bearer token"');
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { ENV_SCHEMA } from './env.schema.js';
import { ConfigValidationError, loadConfig } from './load-config.js';

const KEY_A = Buffer.alloc(32, 1).toString('base64');
const KEY_B = Buffer.alloc(32, 2).toString('base64');
const PROD = {
  NODE_ENV: 'production',
  PUBLIC_BASE_URL: 'https://sync.example.com',
  JWT_SECRET: 'a-production-secret-that-is-long-enough-0123',
  JWT_ISSUER: 'https://id.example.com/',
  JWT_AUDIENCE: 'notion-sync',
  ENCRYPTION_KEYS: `k2:${KEY_B},k1:${KEY_A}`,
};

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigValidationError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigValidationError');
}

describe('loadConfig', () => {
  it('has local defaults that need no environment at all', () => {
    const config = loadConfig({});
    expect(config.env).toBe('development');
    expect(config.gateway.port).toBe(3000);
    expect(config.database.url).toBe('postgres://postgres@127.0.0.1:5432/notion_sync');
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.notion).toEqual({
      apiBaseUrl: 'https://api.notion.com',
      version: '2026-03-11',
      ratePerSecond: 3,
      burst: 3,
      timeoutMs: 30000,
      maxRetries: 3,
      deferAfterMs: 1000,
    });
    expect(config.sync).toEqual({ reconcileIntervalSeconds: 600, fullIntervalSeconds: 86400, pageFetchWindowMs: 2000 });
    expect(config.eventWorker.healthPort).not.toBe(config.jobWorker.healthPort);
    expect(config.auth.mode).toBe('secret');
    expect(config.encryption.keys).toHaveLength(1);
    expect(config.encryption.keys[0]!.key).toHaveLength(32);
  });

  it('parses numbers, URLs and the key ring', () => {
    const config = loadConfig({
      PORT: '8080',
      ENCRYPTION_KEYS: `new:${KEY_B},old:${KEY_A}`,
      PUBLIC_BASE_URL: 'https://x.test/',
    });
    expect(config.gateway.port).toBe(8080);
    expect(config.gateway.publicBaseUrl).toBe('https://x.test');
    expect(config.encryption.keys.map((k) => k.id)).toEqual(['new', 'old']);
    expect(config.encryption.keys[1]!.key.equals(Buffer.alloc(32, 1))).toBe(true);
  });

  it("builds webhook URLs on the gateway's own port when PUBLIC_BASE_URL is unset (development)", () => {
    expect(loadConfig({}).gateway.publicBaseUrl).toBe('http://localhost:3000');
    expect(loadConfig({ PORT: '3100' }).gateway.publicBaseUrl).toBe('http://localhost:3100');
  });

  it('names the bad variable, with the value when it is not a secret', () => {
    const problems = problemsOf({ PORT: 'eighty' });
    expect(problems).toEqual(['PORT must be a whole number (got "eighty")']);
  });

  it('reports every bad variable at once', () => {
    const problems = problemsOf({ DATABASE_URL: 'not-a-url', LOG_LEVEL: 'loud', PORT: '70000', REDIS_URL: 'http://x' });
    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT', 'REDIS_URL']);
  });

  it('never echoes a secret value', () => {
    const problems = problemsOf({ DATABASE_URL: 'mysql://user:hunter2@db/x', JWT_SECRET: 'short-hunter2' });
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it.each([
    ['not key:value', 'garbage'],
    ['a short key', `k:${Buffer.alloc(16).toString('base64')}`],
    ['duplicate ids', `k:${KEY_A},k:${KEY_B}`],
  ])('rejects ENCRYPTION_KEYS with %s', (_case, value) => {
    expect(problemsOf({ ENCRYPTION_KEYS: value })[0]).toMatch(/^ENCRYPTION_KEYS /);
  });

  it('uses the JWKS alone when JWT_JWKS_URI is set', () => {
    const config = loadConfig({
      JWT_JWKS_URI: 'https://id.example/.well-known/jwks.json',
      JWT_ISSUER: 'https://id.example/',
    });
    expect(config.auth).toEqual({
      mode: 'jwks',
      jwksUri: 'https://id.example/.well-known/jwks.json',
      issuer: 'https://id.example/',
      audience: undefined,
      maxLifetimeSeconds: 86_400,
      clockSkewSeconds: 60,
    });
  });

  it('refuses a page fetch window the relay would take for a lost job', () => {
    expect(problemsOf({ PAGE_FETCH_WINDOW_MS: '5000', RELAY_STALE_ENQUEUED_MS: '5000' })).toEqual([
      'PAGE_FETCH_WINDOW_MS must be less than RELAY_STALE_ENQUEUED_MS',
    ]);
    expect(loadConfig({ PAGE_FETCH_WINDOW_MS: '0', RELAY_STALE_ENQUEUED_MS: '1000' }).sync.pageFetchWindowMs).toBe(0);
  });

  it('refuses JWT_SECRET together with JWT_JWKS_URI', () => {
    const problems = problemsOf({ JWT_JWKS_URI: 'https://id.example/jwks', JWT_SECRET: 'x'.repeat(40) });
    expect(problems).toEqual([expect.stringMatching(/^JWT_SECRET must not be set when JWT_JWKS_URI is set/)]);
  });

  it('refuses the development secrets, and a missing public URL, issuer and audience in production', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual([
      'ENCRYPTION_KEYS',
      'JWT_ISSUER',
      'JWT_SECRET',
      'PUBLIC_BASE_URL',
    ]);
  });

  it('refuses an all-zero key in production under any key id or position', () => {
    const zero = Buffer.alloc(32).toString('base64');
    expect(problemsOf({ ...PROD, ENCRYPTION_KEYS: `k9:${zero}` })).toEqual([
      expect.stringMatching(/^ENCRYPTION_KEYS /),
    ]);
    expect(problemsOf({ ...PROD, ENCRYPTION_KEYS: `k2:${KEY_B},old:${zero}` })).toEqual([
      expect.stringMatching(/^ENCRYPTION_KEYS /),
    ]);
  });

  it('refuses a plain-http JWKS or public URL in production', () => {
    const { JWT_SECRET: _unused, ...withoutSecret } = PROD;
    expect(
      problemsOf({ ...withoutSecret, JWT_JWKS_URI: 'http://id.example/jwks', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' }),
    ).toEqual([expect.stringMatching(/^JWT_JWKS_URI must use https/)]);
    expect(problemsOf({ ...PROD, PUBLIC_BASE_URL: 'http://sync.example.com' })).toEqual([
      'PUBLIC_BASE_URL must use https in production (plain http only for a loopback host)',
    ]);
  });

  it('accepts a plain-http public URL in production only on a loopback host (a local trial: it never leaves the machine)', () => {
    for (const url of ['http://localhost:3000', 'http://127.0.0.1:3000', 'http://[::1]:3000']) {
      expect(loadConfig({ ...PROD, PUBLIC_BASE_URL: url }).gateway.publicBaseUrl).toBe(url);
    }
    for (const url of ['http://localhost.example.com', 'http://10.0.0.1:3000', 'http://0.0.0.0:3000']) {
      expect({ url, problems: problemsOf({ ...PROD, PUBLIC_BASE_URL: url }) }).toEqual({
        url,
        problems: [expect.stringMatching(/^PUBLIC_BASE_URL must use https/)],
      });
    }
    // Unset is still refused: the development default must not pass for a deliberate choice.
    const { PUBLIC_BASE_URL: _unused, ...withoutUrl } = PROD;
    expect(problemsOf(withoutUrl)).toEqual([expect.stringMatching(/^PUBLIC_BASE_URL must be set in production/)]);
  });

  it('accepts production with its own secrets, or with a JWKS instead of a secret', () => {
    expect(loadConfig(PROD).env).toBe('production');
    const { JWT_SECRET: _unused, ...withoutSecret } = PROD;
    const jwks = {
      ...withoutSecret,
      JWT_JWKS_URI: 'https://id.example/jwks',
      JWT_ISSUER: 'https://id.example/',
      JWT_AUDIENCE: 'notion-sync',
    };
    expect(loadConfig(jwks).auth.mode).toBe('jwks');
  });

  it('requires issuer and audience with a JWKS in production', () => {
    const { JWT_SECRET: _unused, JWT_AUDIENCE: _none, ...withoutSecret } = PROD;
    expect(
      problemsOf({ ...withoutSecret, JWT_JWKS_URI: 'https://id.example/jwks', JWT_ISSUER: 'https://id.example/' }),
    ).toEqual([expect.stringMatching(/^JWT_ISSUER and JWT_AUDIENCE must be set/)]);
    // The HS256 escape hatch does not apply to a JWKS: an identity provider signs for many apps.
    expect(
      problemsOf({
        ...withoutSecret,
        JWT_JWKS_URI: 'https://id.example/jwks',
        JWT_ISSUER: 'https://id.example/',
        JWT_ALLOW_NO_ISSUER_AUDIENCE: 'true',
      }),
    ).toEqual([expect.stringMatching(/^JWT_ISSUER and JWT_AUDIENCE must be set/)]);
  });

  it('requires issuer and audience with JWT_SECRET in production, unless explicitly allowed', () => {
    const { JWT_ISSUER: _i, JWT_AUDIENCE: _a, ...bare } = PROD;
    for (const env of [bare, { ...bare, JWT_ISSUER: 'i' }, { ...bare, JWT_AUDIENCE: 'a' }]) {
      expect(problemsOf(env)).toEqual([
        expect.stringMatching(
          /^JWT_ISSUER and JWT_AUDIENCE must be set with JWT_SECRET in production .*JWT_ALLOW_NO_ISSUER_AUDIENCE=true/,
        ),
      ]);
    }
    expect(loadConfig({ ...bare, JWT_ALLOW_NO_ISSUER_AUDIENCE: 'true' }).auth).toMatchObject({
      mode: 'secret',
      issuer: undefined,
      audience: undefined,
    });
    // Outside production nothing changes: local tokens need neither.
    expect(loadConfig({ JWT_SECRET: PROD.JWT_SECRET }).auth.issuer).toBeUndefined();
    expect(problemsOf({ JWT_ALLOW_NO_ISSUER_AUDIENCE: 'yes' })).toEqual([
      'JWT_ALLOW_NO_ISSUER_AUDIENCE must be true or false (got "yes")',
    ]);
  });

  it('bounds token lifetimes: a day and a minute of clock skew by default, from config', () => {
    expect(loadConfig({}).auth).toMatchObject({ maxLifetimeSeconds: 86_400, clockSkewSeconds: 60 });
    expect(loadConfig({ JWT_MAX_LIFETIME_SECONDS: '900', JWT_CLOCK_SKEW_SECONDS: '0' }).auth).toMatchObject({
      maxLifetimeSeconds: 900,
      clockSkewSeconds: 0,
    });
    expect(problemsOf({ JWT_MAX_LIFETIME_SECONDS: '59', JWT_CLOCK_SKEW_SECONDS: '301' })).toEqual([
      'JWT_MAX_LIFETIME_SECONDS must be between 60 and 2592000 (got "59")',
      'JWT_CLOCK_SKEW_SECONDS must be between 0 and 300 (got "301")',
    ]);
  });

  describe('when HOST is not a loopback address', () => {
    const OWN = { JWT_SECRET: PROD.JWT_SECRET, ENCRYPTION_KEYS: PROD.ENCRYPTION_KEYS };

    it.each(['0.0.0.0', '::', '10.1.2.3', 'app.internal', '192.168.1.20'])(
      'refuses the development secrets on %p whatever NODE_ENV says',
      (host) => {
        for (const NODE_ENV of ['development', 'test']) {
          const problems = problemsOf({ NODE_ENV, HOST: host });
          expect({ NODE_ENV, problems }).toEqual({
            NODE_ENV,
            problems: [
              `JWT_SECRET must be set to your own secret when HOST (${host}) is not a loopback address (or set JWT_JWKS_URI)`,
              `ENCRYPTION_KEYS must be set to your own keys when HOST (${host}) is not a loopback address (the development key is refused)`,
            ],
          });
        }
        // Either one alone is refused too, and so is an all-zero key under another id.
        expect(problemsOf({ HOST: host, JWT_SECRET: OWN.JWT_SECRET })).toEqual([
          expect.stringMatching(/^ENCRYPTION_KEYS /),
        ]);
        expect(problemsOf({ HOST: host, ENCRYPTION_KEYS: OWN.ENCRYPTION_KEYS })).toEqual([
          expect.stringMatching(/^JWT_SECRET /),
        ]);
        expect(problemsOf({ ...OWN, HOST: host, ENCRYPTION_KEYS: `k:${Buffer.alloc(32).toString('base64')}` })).toEqual(
          [expect.stringMatching(/^ENCRYPTION_KEYS /)],
        );
        expect(loadConfig({ ...OWN, HOST: host }).host).toBe(host);
      },
    );

    it('accepts them on any loopback address (the default)', () => {
      for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1']) {
        expect(loadConfig({ HOST: host }).host).toBe(host);
      }
    });

    it('accepts a JWKS instead of the secret', () => {
      expect(
        loadConfig({ HOST: '0.0.0.0', ENCRYPTION_KEYS: OWN.ENCRYPTION_KEYS, JWT_JWKS_URI: 'https://id.example/jwks' })
          .auth.mode,
      ).toBe('jwks');
    });
  });

  it('binds the admin port to ADMIN_HOST, loopback by default whatever HOST is', () => {
    const OWN = { JWT_SECRET: PROD.JWT_SECRET, ENCRYPTION_KEYS: PROD.ENCRYPTION_KEYS };
    expect(loadConfig({ ...OWN, HOST: '0.0.0.0' }).admin.host).toBe('127.0.0.1');
    expect(loadConfig({ ADMIN_HOST: '0.0.0.0' }).admin.host).toBe('0.0.0.0');
    expect(problemsOf({ ADMIN_HOST: 'a b' })).toEqual(['ADMIN_HOST must be a host name or an IP address (got "a b")']);
  });

  it('takes an optional METRICS_TOKEN of 16+ printable characters, never echoing it', () => {
    expect(loadConfig({ METRICS_TOKEN: 'scrape-token-0123456789' }).metrics).toEqual({
      enabled: true,
      token: 'scrape-token-0123456789',
    });
    for (const bad of ['hunter2-short', 'hunter2 with a space in it', 'hunter2-ünïcode-0123456789']) {
      const problems = problemsOf({ METRICS_TOKEN: bad });
      expect(problems).toEqual([expect.stringMatching(/^METRICS_TOKEN must be 16 to 256 printable ASCII/)]);
      expect(problems.join('\n')).not.toContain('hunter2');
    }
  });

  it('has an admin port of its own, metrics on and Bull Board off by default', () => {
    const config = loadConfig({});
    expect(config.admin).toEqual({ host: '127.0.0.1', port: 3003, credentials: undefined });
    expect(config.admin.port).not.toBe(config.gateway.port);
    expect(config.metrics).toEqual({ enabled: true, token: undefined });
    expect(loadConfig({ METRICS_ENABLED: 'false' }).metrics.enabled).toBe(false);
    expect(problemsOf({ METRICS_ENABLED: 'yes' })).toEqual(['METRICS_ENABLED must be true or false (got "yes")']);
  });

  it('turns Bull Board on with both admin credentials, and refuses one without the other', () => {
    expect(loadConfig({ ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: 'pw' }).admin.credentials).toEqual({
      username: 'ops',
      password: 'pw',
    });
    for (const env of [{ ADMIN_USERNAME: 'ops' }, { ADMIN_PASSWORD: 'hunter2-hunter2' }] as Record<string, string>[]) {
      const problems = problemsOf(env);
      expect(problems).toEqual([expect.stringMatching(/^ADMIN_USERNAME and ADMIN_PASSWORD must be set together/)]);
      expect(problems.join('\n')).not.toContain('hunter2');
    }
    expect(problemsOf({ ADMIN_USERNAME: 'o:ps', ADMIN_PASSWORD: 'pw' })).toEqual([
      expect.stringMatching(/^ADMIN_USERNAME must be 1 to 64 characters, without spaces or ":"/),
    ]);
  });

  it('requires a strong admin password in production, never echoing it', () => {
    const problems = problemsOf({ ...PROD, ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: 'hunter2-short' });
    expect(problems).toEqual(['ADMIN_PASSWORD must be at least 16 characters in production']);
    expect(problems.join('\n')).not.toContain('hunter2');
    expect(loadConfig({ ...PROD, ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: 'x'.repeat(16) }).admin.credentials).toEqual({
      username: 'ops',
      password: 'x'.repeat(16),
    });
    // Unset is fine in production: Bull Board is simply off.
    expect(loadConfig(PROD).admin.credentials).toBeUndefined();
  });

  it('refuses an admin port equal to the public port; 0 (any free port) is allowed', () => {
    expect(problemsOf({ PORT: '8080', ADMIN_PORT: '8080' })).toEqual([
      expect.stringMatching(/^ADMIN_PORT must differ from PORT/),
    ]);
    expect(loadConfig({ ADMIN_PORT: '0' }).admin.port).toBe(0);
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.database)).toBe(true);
    expect(Object.isFrozen(config.encryption.keys)).toBe(true);
    expect(Object.isFrozen(config.encryption.keys[0])).toBe(true);
  });

  it('trusts no proxy by default, and takes TRUST_PROXY as hops or as proxy addresses and CIDRs', () => {
    expect(loadConfig({}).gateway.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '0' }).gateway.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).gateway.trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,fd00::/8, ::1, loopback' }).gateway.trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      'fd00::/8',
      '::1',
      'loopback',
    ]);
  });

  it.each([
    ['true', 'trusting every hop lets a client choose its IP'],
    ['17', 'too many hops'],
    ['10.0.0.0/33', 'a prefix longer than the address'],
    ['10.0.0/8', 'not an address'],
    ['proxy.example.com', 'a host name (not resolved)'],
    ['10.0.0.1/8/2', 'two prefixes'],
  ])('refuses TRUST_PROXY=%p (%s)', (value) => {
    expect(problemsOf({ TRUST_PROXY: value })).toEqual([expect.stringMatching(/^TRUST_PROXY must be/)]);
  });

  it('lets loopback origins through CORS in development only while CORS_ORIGINS is unset', () => {
    expect(loadConfig({}).gateway).toMatchObject({ corsOrigins: [], corsLoopback: true });
    expect(loadConfig({ NODE_ENV: 'development', CORS_ORIGINS: ' ' }).gateway.corsLoopback).toBe(true);
    // A list wins: only its origins.
    expect(loadConfig({ CORS_ORIGINS: 'http://localhost:5173' }).gateway).toMatchObject({
      corsOrigins: ['http://localhost:5173'],
      corsLoopback: false,
    });
    expect(loadConfig({ NODE_ENV: 'test' }).gateway).toMatchObject({ corsOrigins: [], corsLoopback: false });
    expect(loadConfig(PROD).gateway).toMatchObject({ corsOrigins: [], corsLoopback: false });
    expect(loadConfig({ ...PROD, CORS_ORIGINS: 'https://app.example.com' }).gateway.corsLoopback).toBe(false);
  });

  it('limits manual sync requests per project, 6 an hour by default', () => {
    expect(loadConfig({}).gateway.syncRequests).toEqual({ limit: 6, windowSeconds: 3600 });
    expect(loadConfig({ SYNC_REQUEST_LIMIT: '2', SYNC_REQUEST_WINDOW_SECONDS: '60' }).gateway.syncRequests).toEqual({
      limit: 2,
      windowSeconds: 60,
    });
    expect(problemsOf({ SYNC_REQUEST_LIMIT: '0' })).toEqual([expect.stringMatching(/^SYNC_REQUEST_LIMIT /)]);
  });

  it('is documented: .env.example lists every variable', () => {
    const example = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8');
    const listed = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    expect([...Object.keys(ENV_SCHEMA)].filter((name) => !listed.has(name))).toEqual([]);
  });
});

describe('loadConfig: retention', () => {
  it('keeps inbox rows a week, dead letters and tombstones a month, by default', () => {
    expect(loadConfig({}).retention).toEqual({
      intervalSeconds: 600,
      inboxDays: 7,
      deadLettersDays: 30,
      tombstonesDays: 30,
      batchSize: 500,
    });
  });

  it('refuses an inbox retention under 2 days, saying why', () => {
    expect(problemsOf({ RETENTION_INBOX_DAYS: '1' })).toEqual([
      expect.stringMatching(/^RETENTION_INBOX_DAYS must be at least 2 days: Notion redelivers for about a day/),
    ]);
    expect(problemsOf({ RETENTION_INBOX_DAYS: '0' })[0]).toMatch(/^RETENTION_INBOX_DAYS must be at least 2 days/);
    expect(problemsOf({ RETENTION_INBOX_DAYS: 'a week' })[0]).toMatch(/^RETENTION_INBOX_DAYS must be a whole number/);
    expect(loadConfig({ RETENTION_INBOX_DAYS: '2' }).retention.inboxDays).toBe(2);
  });

  it('refuses empty horizons and batches', () => {
    expect(
      problemsOf({ RETENTION_TOMBSTONES_DAYS: '0', RETENTION_DEAD_LETTERS_DAYS: '0', RETENTION_BATCH_SIZE: '0' })
        .map((p) => p.split(' ')[0])
        .sort(),
    ).toEqual(['RETENTION_BATCH_SIZE', 'RETENTION_DEAD_LETTERS_DAYS', 'RETENTION_TOMBSTONES_DAYS']);
  });
});

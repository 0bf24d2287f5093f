import { describe, expect, it } from '@jest/globals';
import { JwtService } from '@nestjs/jwt';
import { parseTokenArgs, tokenFor, TokenUsageError } from './token.command.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const LIMITS = { maxLifetimeSeconds: 86_400, clockSkewSeconds: 60 };
const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

describe('parseTokenArgs', () => {
  it('reads --sub, --ttl, --iss and --aud', () => {
    expect(parseTokenArgs(['--sub', 'alice'])).toEqual({ sub: 'alice' });
    expect(parseTokenArgs(['--sub=auth0|abc', '--ttl', '15m'])).toEqual({ sub: 'auth0|abc', ttlSeconds: 900 });
    expect(parseTokenArgs(['--sub', 'alice', '--iss', 'https://id.test/', '--aud=api'])).toEqual({
      sub: 'alice',
      issuer: 'https://id.test/',
      audience: 'api',
    });
  });

  it.each([
    ['no --sub', []],
    ['an empty --sub', ['--sub', '']],
    ['an overlong --sub', ['--sub', 'x'.repeat(256)]],
    ['a bad --ttl', ['--sub', 'alice', '--ttl', '1w']],
    ['an empty --iss', ['--sub', 'alice', '--iss', '']],
    ['an --aud with a space', ['--sub', 'alice', '--aud', 'my api']],
    ['an unknown option', ['--sub', 'alice', '--admin']],
    ['a positional argument', ['alice']],
  ])('refuses %s', (_case, argv) => {
    expect(() => parseTokenArgs(argv)).toThrow(TokenUsageError);
  });
});

describe('tokenFor', () => {
  const secretMode = {
    mode: 'secret' as const,
    secret: SECRET,
    issuer: 'https://id.test/',
    audience: 'api',
    ...LIMITS,
  };

  it('signs with JWT_SECRET and the configured issuer and audience, for an hour by default', () => {
    const token = tokenFor({ sub: 'alice' }, secretMode);
    const claims = new JwtService().verify<Record<string, number>>(token, {
      secret: SECRET,
      algorithms: ['HS256'],
      issuer: 'https://id.test/',
      audience: 'api',
    });
    expect(claims).toMatchObject({ sub: 'alice' });
    expect(claims.exp! - claims.iat!).toBe(3600);
  });

  it('takes --iss and --aud over the configured ones (a gateway in containers, say)', () => {
    const token = tokenFor({ sub: 'alice', issuer: 'notion-sync-compose', audience: 'notion-sync-api' }, secretMode);
    expect(claimsOf(token)).toMatchObject({ iss: 'notion-sync-compose', aud: 'notion-sync-api' });
    const bare = tokenFor({ sub: 'alice', issuer: 'i' }, { mode: 'secret', secret: SECRET, ...LIMITS });
    expect(claimsOf(bare)).toMatchObject({ iss: 'i' });
    expect(claimsOf(bare)).not.toHaveProperty('aud');
  });

  it('mints no token the gateway would refuse for its lifetime, and shortens the default to fit', () => {
    expect(() => tokenFor({ sub: 'alice', ttlSeconds: 86_401 }, secretMode)).toThrow(/JWT_MAX_LIFETIME_SECONDS/);
    const short = tokenFor({ sub: 'alice' }, { ...secretMode, maxLifetimeSeconds: 600 });
    const claims = claimsOf(short) as Record<string, number>;
    expect(claims.exp! - claims.iat!).toBe(600);
  });

  it('refuses when the gateway trusts a JWKS', () => {
    expect(() => tokenFor({ sub: 'alice' }, { mode: 'jwks', jwksUri: 'https://id.test/jwks', ...LIMITS })).toThrow(
      /JWT_JWKS_URI/,
    );
  });
});

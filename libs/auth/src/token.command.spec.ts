import { describe, expect, it } from '@jest/globals';
import { JwtService } from '@nestjs/jwt';
import { parseTokenArgs, tokenFor, TokenUsageError } from './token.command.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';

describe('parseTokenArgs', () => {
  it('reads --sub and --ttl, with a default ttl of one hour', () => {
    expect(parseTokenArgs(['--sub', 'alice'])).toEqual({ sub: 'alice', ttlSeconds: 3600 });
    expect(parseTokenArgs(['--sub=auth0|abc', '--ttl', '15m'])).toEqual({ sub: 'auth0|abc', ttlSeconds: 900 });
  });

  it.each([
    ['no --sub', []],
    ['an empty --sub', ['--sub', '']],
    ['an overlong --sub', ['--sub', 'x'.repeat(256)]],
    ['a bad --ttl', ['--sub', 'alice', '--ttl', '1w']],
    ['an unknown option', ['--sub', 'alice', '--admin']],
    ['a positional argument', ['alice']],
  ])('refuses %s', (_case, argv) => {
    expect(() => parseTokenArgs(argv)).toThrow(TokenUsageError);
  });
});

describe('tokenFor', () => {
  it('signs with JWT_SECRET and the configured issuer and audience', () => {
    const token = tokenFor(
      { sub: 'alice', ttlSeconds: 60 },
      { mode: 'secret', secret: SECRET, issuer: 'https://id.test/', audience: 'api' },
    );
    expect(
      new JwtService().verify(token, {
        secret: SECRET,
        algorithms: ['HS256'],
        issuer: 'https://id.test/',
        audience: 'api',
      }),
    ).toMatchObject({ sub: 'alice' });
  });

  it('refuses when the gateway trusts a JWKS', () => {
    expect(() => tokenFor({ sub: 'alice', ttlSeconds: 60 }, { mode: 'jwks', jwksUri: 'https://id.test/jwks' })).toThrow(
      /JWT_JWKS_URI/,
    );
  });
});

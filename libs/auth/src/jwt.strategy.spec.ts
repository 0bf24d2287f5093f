import { describe, expect, it } from '@jest/globals';
import { UnauthorizedException } from '@nestjs/common';
import { jwtStrategyOptions, userFromToken } from './jwt.strategy.js';

const LIMITS = { maxLifetimeSeconds: 3600, clockSkewSeconds: 60 };
const now = Math.floor(Date.now() / 1000);
const exp = now + 60;
const verified = (payload: unknown, header: object = { alg: 'HS256', typ: 'JWT' }) => ({
  header,
  payload,
  signature: 'x',
});

describe('userFromToken', () => {
  it.each(['auth0|abc', 'user_123', '0b6f4c1e-8a51-4c2e-9f3e-1d2a3b4c5d6e', 'x'.repeat(255)])(
    'gives the sub %p as the user id',
    (sub) => {
      expect(userFromToken(verified({ sub, exp, iat: now }), LIMITS, now)).toEqual({ id: sub });
    },
  );

  it.each([
    ['no sub', { exp }],
    ['an empty sub', { sub: '', exp }],
    ['a numeric sub', { sub: 42, exp }],
    ['an overlong sub', { sub: 'x'.repeat(256), exp }],
    ['no exp', { sub: 'alice' }],
    ['a string exp', { sub: 'alice', exp: String(exp) }],
    ['a string payload', 'alice'],
    ['a null payload', null],
    ['a lifetime over the maximum', { sub: 'alice', iat: now, exp: now + 3601 }],
    ['an iat in the future', { sub: 'alice', iat: now + 61, exp: now + 120 }],
  ])('refuses a token with %s', (_case, claims) => {
    expect(() => userFromToken(verified(claims), LIMITS, now)).toThrow(UnauthorizedException);
  });

  it('refuses another type of token, and a header with critical extensions', () => {
    expect(() => userFromToken(verified({ sub: 'a', exp }, { alg: 'HS256', typ: 'dpop+jwt' }), LIMITS, now)).toThrow(
      UnauthorizedException,
    );
    expect(() => userFromToken(verified({ sub: 'a', exp }, { alg: 'HS256', crit: ['b64'] }), LIMITS, now)).toThrow(
      UnauthorizedException,
    );
  });

  it('refuses what is not a complete verification result', () => {
    expect(() => userFromToken({ sub: 'alice', exp }, LIMITS, now)).toThrow(UnauthorizedException);
    expect(() => userFromToken(null, LIMITS, now)).toThrow(UnauthorizedException);
  });
});

describe('jwtStrategyOptions', () => {
  it('pins HS256 with the secret in secret mode, and checks iss and aud when configured', () => {
    const options = jwtStrategyOptions({
      mode: 'secret',
      secret: 's'.repeat(32),
      issuer: 'iss',
      audience: 'aud',
      ...LIMITS,
    });
    expect(options).toMatchObject({
      algorithms: ['HS256'],
      secretOrKey: 's'.repeat(32),
      ignoreExpiration: false,
      issuer: 'iss',
      audience: 'aud',
      // validate() needs the header for the typ check.
      jsonWebTokenOptions: { complete: true },
    });
    expect(options).not.toHaveProperty('secretOrKeyProvider');
  });

  it('pins RS256 and ES256 with a key provider, and no secret, in JWKS mode', () => {
    const options = jwtStrategyOptions({ mode: 'jwks', jwksUri: 'https://id.test/jwks.json', ...LIMITS });
    expect(options).toMatchObject({
      algorithms: ['RS256', 'ES256'],
      ignoreExpiration: false,
      jsonWebTokenOptions: { complete: true },
    });
    expect(options).toHaveProperty('secretOrKeyProvider', expect.any(Function));
    expect(options).not.toHaveProperty('secretOrKey');
    expect(options.issuer).toBeUndefined();
  });
});

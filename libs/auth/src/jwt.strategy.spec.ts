import { describe, expect, it } from '@jest/globals';
import { UnauthorizedException } from '@nestjs/common';
import { jwtStrategyOptions, userFromClaims } from './jwt.strategy.js';

const exp = Math.floor(Date.now() / 1000) + 60;

describe('userFromClaims', () => {
  it.each(['auth0|abc', 'user_123', '0b6f4c1e-8a51-4c2e-9f3e-1d2a3b4c5d6e', 'x'.repeat(255)])(
    'gives the sub %p as the user id',
    (sub) => {
      expect(userFromClaims({ sub, exp })).toEqual({ id: sub });
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
  ])('refuses a token with %s', (_case, claims) => {
    expect(() => userFromClaims(claims)).toThrow(UnauthorizedException);
  });
});

describe('jwtStrategyOptions', () => {
  it('pins HS256 with the secret in secret mode, and checks iss and aud when configured', () => {
    const options = jwtStrategyOptions({ mode: 'secret', secret: 's'.repeat(32), issuer: 'iss', audience: 'aud' });
    expect(options).toMatchObject({
      algorithms: ['HS256'],
      secretOrKey: 's'.repeat(32),
      ignoreExpiration: false,
      issuer: 'iss',
      audience: 'aud',
    });
    expect(options).not.toHaveProperty('secretOrKeyProvider');
  });

  it('pins RS256 and ES256 with a key provider, and no secret, in JWKS mode', () => {
    const options = jwtStrategyOptions({ mode: 'jwks', jwksUri: 'https://id.test/jwks.json' });
    expect(options).toMatchObject({ algorithms: ['RS256', 'ES256'], ignoreExpiration: false });
    expect(options).toHaveProperty('secretOrKeyProvider', expect.any(Function));
    expect(options).not.toHaveProperty('secretOrKey');
    expect(options.issuer).toBeUndefined();
  });
});

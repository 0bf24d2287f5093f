import { describe, expect, it } from '@jest/globals';
import { JwtService } from '@nestjs/jwt';
import { MAX_TTL_SECONDS, parseTtl, signDevToken } from './dev-token.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';

describe('parseTtl', () => {
  it.each([
    ['90s', 90],
    ['15m', 900],
    ['1h', 3600],
    ['7d', 604_800],
    ['365d', MAX_TTL_SECONDS],
  ])('reads %s as %i seconds', (raw, seconds) => {
    expect(parseTtl(raw)).toBe(seconds);
  });

  it.each(['', '1', 'h', '0s', '01h', '-1h', '1.5h', '1 h', '1w', '1H', '366d', '1h '])('rejects %p', (raw) => {
    expect(() => parseTtl(raw)).toThrow(RangeError);
  });
});

describe('signDevToken', () => {
  const verify = (token: string) => new JwtService().verify<Record<string, unknown>>(token, { secret: SECRET });

  it('signs HS256 with sub and an exp ttl seconds ahead, and no iss or aud unless given', () => {
    const before = Math.floor(Date.now() / 1000);
    const token = signDevToken({ secret: SECRET, sub: 'auth0|abc', ttlSeconds: 90 });
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { alg: string };
    expect(header.alg).toBe('HS256');
    const claims = verify(token);
    expect(claims.sub).toBe('auth0|abc');
    expect(claims.exp).toBeGreaterThanOrEqual(before + 90);
    expect(claims.exp).toBeLessThanOrEqual(before + 91);
    expect(claims).not.toHaveProperty('iss');
    expect(claims).not.toHaveProperty('aud');
  });

  it('includes the issuer and audience when given', () => {
    const claims = verify(
      signDevToken({ secret: SECRET, sub: 'alice', ttlSeconds: 60, issuer: 'https://id.test/', audience: 'api' }),
    );
    expect(claims).toMatchObject({ iss: 'https://id.test/', aud: 'api' });
  });

  it('refuses an empty or overlong sub and a non-positive ttl', () => {
    expect(() => signDevToken({ secret: SECRET, sub: '', ttlSeconds: 60 })).toThrow(RangeError);
    expect(() => signDevToken({ secret: SECRET, sub: 'x'.repeat(256), ttlSeconds: 60 })).toThrow(RangeError);
    expect(() => signDevToken({ secret: SECRET, sub: 'alice', ttlSeconds: 0 })).toThrow(RangeError);
  });
});

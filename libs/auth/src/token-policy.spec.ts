import { describe, expect, it } from '@jest/globals';
import { UnauthorizedException } from '@nestjs/common';
import { checkTokenHeader, checkTokenTimes } from './token-policy.js';

const LIMITS = { maxLifetimeSeconds: 3600, clockSkewSeconds: 60 };
const NOW = 1_800_000_000;

describe('checkTokenHeader', () => {
  it.each([
    ['no typ', { alg: 'HS256' }],
    ['JWT', { alg: 'HS256', typ: 'JWT' }],
    ['jwt in lower case', { alg: 'HS256', typ: 'jwt' }],
    ['application/jwt', { alg: 'HS256', typ: 'application/jwt' }],
    ['at+jwt', { alg: 'RS256', typ: 'at+jwt' }],
    ['AT+JWT', { alg: 'RS256', typ: 'AT+JWT' }],
    ['application/at+JWT', { alg: 'RS256', typ: 'Application/at+JWT' }],
  ])('accepts %s', (_case, header) => {
    expect(() => checkTokenHeader(header)).not.toThrow();
  });

  it.each([
    ['an ID token type', { alg: 'RS256', typ: 'id_token+jwt' }],
    ['a DPoP proof', { alg: 'ES256', typ: 'dpop+jwt' }],
    ['a logout token', { alg: 'RS256', typ: 'logout+jwt' }],
    ['JWS', { alg: 'HS256', typ: 'JWS' }],
    ['an empty typ', { alg: 'HS256', typ: '' }],
    ['a typ with a suffix', { alg: 'HS256', typ: 'JWT ' }],
    ['another media type tree', { alg: 'HS256', typ: 'text/jwt' }],
    ['a non-string typ', { alg: 'HS256', typ: 1 }],
    ['critical extensions', { alg: 'HS256', typ: 'JWT', crit: ['exp'] }],
    ['no header', undefined],
  ])('refuses %s', (_case, header) => {
    expect(() => checkTokenHeader(header)).toThrow(UnauthorizedException);
  });
});

describe('checkTokenTimes', () => {
  it.each([
    ['the longest lifetime', { iat: NOW, exp: NOW + 3600 }],
    ['an iat within the skew ahead', { iat: NOW + 60, exp: NOW + 120 }],
    ['an old token with a long life left to the limit', { iat: NOW - 3000, exp: NOW + 600 }],
    ['no iat, exp within the limit (plus skew) from now', { exp: NOW + 3660 }],
  ])('accepts %s', (_case, claims) => {
    expect(() => checkTokenTimes(claims, LIMITS, NOW)).not.toThrow();
  });

  it.each([
    ['a lifetime one second over', { iat: NOW, exp: NOW + 3601 }, /lifetime/],
    ['a long-lived token near its end', { iat: NOW - 86_400, exp: NOW + 60 }, /lifetime/],
    ['an iat beyond the skew', { iat: NOW + 61, exp: NOW + 120 }, /future/],
    ['no iat, exp too far ahead', { exp: NOW + 3661 }, /further ahead/],
    ['an iat in the past but exp too far ahead', { iat: NOW - 10, exp: NOW + 10 * 365 * 86_400 }, /further ahead/],
    ['a string iat', { iat: String(NOW), exp: NOW + 60 }, /iat/],
    ['no exp', { iat: NOW }, /expiry/],
    ['an infinite exp', { iat: NOW, exp: Infinity }, /expiry/],
  ])('refuses %s', (_case, claims, reason) => {
    expect(() => checkTokenTimes(claims, LIMITS, NOW)).toThrow(reason);
  });
});

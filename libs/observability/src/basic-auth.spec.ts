import { describe, expect, it } from '@jest/globals';
import { basicAuthMatches, bearerTokenMatches } from './basic-auth.js';

const expected = { username: 'ops', password: 'pa:ss wörd' };
const header = (user: string, password: string, scheme = 'Basic') =>
  `${scheme} ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

describe('basicAuthMatches', () => {
  it('accepts exactly the expected user and password (colons and non-ASCII in the password too)', () => {
    expect(basicAuthMatches(header('ops', 'pa:ss wörd'), expected)).toBe(true);
    expect(basicAuthMatches(header('ops', 'pa:ss wörd', 'basic'), expected)).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['a wrong password', header('ops', 'pa:ss word')],
    ['a wrong user', header('Ops', 'pa:ss wörd')],
    ['a password prefix', header('ops', 'pa:ss')],
    ['an empty password', header('ops', '')],
    ['another scheme', header('ops', 'pa:ss wörd', 'Bearer')],
    ['no colon', `Basic ${Buffer.from('opspa:ss wörd'.replace(':', '')).toString('base64')}`],
    ['garbage', 'Basic !!!'],
  ])('refuses %s', (_case, value) => {
    expect(basicAuthMatches(value, expected)).toBe(false);
  });
});

describe('bearerTokenMatches', () => {
  const token = 'scrape-token-0123456789';

  it('accepts exactly the token, with the scheme in any case', () => {
    expect(bearerTokenMatches(`Bearer ${token}`, token)).toBe(true);
    expect(bearerTokenMatches(`bearer ${token}`, token)).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['no token', 'Bearer '],
    ['a prefix', `Bearer ${token.slice(0, -1)}`],
    ['a longer token', `Bearer ${token}0`],
    ['another scheme', `Basic ${token}`],
    ['two tokens', `Bearer ${token} ${token}`],
  ])('refuses %s', (_case, value) => {
    expect(bearerTokenMatches(value, token)).toBe(false);
  });
});

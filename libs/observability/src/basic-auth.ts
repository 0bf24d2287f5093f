import { createHash, timingSafeEqual } from 'node:crypto';

export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

/** The `WWW-Authenticate` challenge that makes a browser ask for credentials. */
export const BASIC_AUTH_CHALLENGE = 'Basic realm="notion-sync admin", charset="UTF-8"';

// Hashing first gives equal lengths, so the comparison time says nothing about
// the expected value's length or content.
const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
const sameText = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected));

/**
 * Whether an `Authorization` header carries exactly these HTTP Basic
 * credentials. Both parts are always compared, in constant time.
 */
export function basicAuthMatches(header: string | undefined, expected: BasicCredentials): boolean {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header ?? '');
  if (!match) return false;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const sep = decoded.indexOf(':');
  if (sep < 0) return false;
  const userOk = sameText(decoded.slice(0, sep), expected.username);
  const passwordOk = sameText(decoded.slice(sep + 1), expected.password);
  return userOk && passwordOk;
}

/** Whether an `Authorization` header carries exactly this bearer token (RFC 6750), compared in constant time. */
export function bearerTokenMatches(header: string | undefined, expected: string): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  return match !== null && sameText(match[1]!, expected);
}

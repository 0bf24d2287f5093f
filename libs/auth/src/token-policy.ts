import { UnauthorizedException } from '@nestjs/common';
import type { TokenLimits } from '@app/config';

/**
 * The JOSE `typ` values of tokens meant for us: a plain JWT, or an OAuth 2.0
 * access token (RFC 9068). Anything else that names a type (an ID token's
 * `id_token+jwt`, a `dpop+jwt` proof, a `logout+jwt`, a `secevent+jwt`) was
 * minted for another purpose and must not pass as an access token (RFC 8725 3.11).
 */
const ACCEPTED_TYPES: ReadonlySet<string> = new Set(['jwt', 'at+jwt']);

/** `typ` is a media type: compared case-insensitively, with `application/` implied (RFC 7515 4.1.9). */
function mediaType(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

/** Refuses a header whose `typ` names another kind of token, or that lists critical extensions. */
export function checkTokenHeader(header: unknown): void {
  if (typeof header !== 'object' || header === null) throw new UnauthorizedException('Token has no header');
  const { typ, crit } = header as { typ?: unknown; crit?: unknown };
  if (typ !== undefined && (typeof typ !== 'string' || !ACCEPTED_TYPES.has(mediaType(typ)))) {
    throw new UnauthorizedException('Token type is neither JWT nor at+jwt');
  }
  // We understand no JWS extension, and RFC 7515 4.1.11 says to refuse what we do not understand.
  if (crit !== undefined) throw new UnauthorizedException('Token header lists critical extensions');
}

/**
 * Bounds a token's life (RFC 8725 3.10 leaves them to the application):
 * `exp - iat` at most `maxLifetimeSeconds`, `iat` no later than our clock plus
 * `clockSkewSeconds`, and `exp` at most `maxLifetimeSeconds` (plus the skew)
 * from now.
 *
 * `iat` is optional (RFC 7519 4.1.6), and a token without it is accepted: the
 * bound on `exp` from now still means no token is usable for longer than the
 * maximum lifetime from any moment it is presented, which is what the limit
 * protects (a stolen token dies soon); refusing such tokens would lock out
 * issuers that omit the claim. Expiry itself (`exp` in the past) and `nbf` are
 * checked by the verifier before this runs.
 */
export function checkTokenTimes(claims: { exp?: unknown; iat?: unknown }, limits: TokenLimits, now: number): void {
  const { exp, iat } = claims;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new UnauthorizedException('Token has no expiry');
  if (exp - now > limits.maxLifetimeSeconds + limits.clockSkewSeconds) {
    throw new UnauthorizedException('Token expires further ahead than the maximum lifetime');
  }
  if (iat === undefined) return;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new UnauthorizedException('Token has an invalid iat');
  if (iat > now + limits.clockSkewSeconds) throw new UnauthorizedException('Token was issued in the future');
  if (exp - iat > limits.maxLifetimeSeconds) throw new UnauthorizedException('Token lifetime exceeds the maximum');
}

import { Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import jwksRsa from 'jwks-rsa';
import { ExtractJwt, Strategy, type StrategyOptionsWithoutRequest } from 'passport-jwt';
import { AppConfig, type TokenLimits } from '@app/config';
import { isValidSubject, type AuthUser } from './auth-user.js';
import { checkTokenHeader, checkTokenTimes } from './token-policy.js';

/** Algorithms accepted per trust mode: pinned, so a token cannot pick how it is checked. */
export const SECRET_ALGORITHMS = ['HS256'] as const;
export const JWKS_ALGORITHMS = ['RS256', 'ES256'] as const;

/** A JWKS fetch that takes longer fails the request (401) rather than holding it. */
const JWKS_TIMEOUT_MS = 5_000;

export function jwtStrategyOptions(auth: AppConfig['auth']): StrategyOptionsWithoutRequest {
  const common = {
    jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
    ignoreExpiration: false,
    issuer: auth.issuer,
    audience: auth.audience,
    // The verifier then hands `validate` the header too, for the `typ` check.
    jsonWebTokenOptions: { complete: true },
  };
  if (auth.mode === 'secret') {
    return { ...common, algorithms: [...SECRET_ALGORITHMS], secretOrKey: auth.secret };
  }
  return {
    ...common,
    algorithms: [...JWKS_ALGORITHMS],
    // Keys are cached by kid; an unknown kid refetches the set, at most 10 times a minute.
    secretOrKeyProvider: jwksRsa.passportJwtSecret({
      jwksUri: auth.jwksUri,
      cache: true,
      rateLimit: true,
      jwksRequestsPerMinute: 10,
      timeout: JWKS_TIMEOUT_MS,
    }),
  };
}

/**
 * The user a verified token stands for. The signature, algorithm, expiry,
 * `nbf`, issuer and audience are already checked by passport-jwt; this adds
 * what jsonwebtoken does not: `exp` required (it accepts a token without one),
 * the type in the header, and the lifetime bounds (see token-policy.ts).
 *
 * @param verified what jsonwebtoken returns with `complete: true`: `{ header, payload }`
 * @param now seconds since the epoch
 */
export function userFromToken(verified: unknown, limits: TokenLimits, now = Date.now() / 1000): AuthUser {
  if (typeof verified !== 'object' || verified === null) throw new UnauthorizedException('Token has no claims');
  const { header, payload } = verified as { header?: unknown; payload?: unknown };
  checkTokenHeader(header);
  if (typeof payload !== 'object' || payload === null) throw new UnauthorizedException('Token has no claims');
  checkTokenTimes(payload, limits, now);
  const { sub } = payload as { sub?: unknown };
  if (!isValidSubject(sub)) throw new UnauthorizedException('Token has no valid subject');
  return { id: sub };
}

/**
 * Verifies bearer tokens against `JWT_SECRET` (HS256) or the keys of
 * `JWT_JWKS_URI` (RS256, ES256), whichever the config chose.
 *
 * Passport keeps strategies in a process-wide registry: constructing this
 * strategy (a Nest app starting) replaces the previous app's. One gateway per
 * process is fine; tests build their apps one after another.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly limits: TokenLimits;

  constructor(config: AppConfig) {
    super(jwtStrategyOptions(config.auth));
    const { maxLifetimeSeconds, clockSkewSeconds } = config.auth;
    this.limits = { maxLifetimeSeconds, clockSkewSeconds };
  }

  validate(verified: unknown): AuthUser {
    return userFromToken(verified, this.limits);
  }
}

import { JwtService, type JwtSignOptions } from '@nestjs/jwt';
import { isValidSubject, MAX_SUBJECT_LENGTH } from './auth-user.js';

export interface DevTokenOptions {
  /** The HS256 key (`JWT_SECRET`). */
  readonly secret: string;
  readonly sub: string;
  readonly ttlSeconds: number;
  readonly issuer?: string;
  readonly audience?: string;
}

/**
 * Signs an HS256 token the gateway accepts in secret mode: for local use
 * (`npm run token`) and tests. Production tokens come from an identity provider.
 */
export function signDevToken({ secret, sub, ttlSeconds, issuer, audience }: DevTokenOptions): string {
  if (!isValidSubject(sub)) throw new RangeError(`sub must be 1 to ${MAX_SUBJECT_LENGTH} characters`);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new RangeError('ttlSeconds must be a positive integer');
  // jsonwebtoken rejects options that are present but undefined.
  const options: JwtSignOptions = { secret, algorithm: 'HS256', expiresIn: ttlSeconds };
  if (issuer !== undefined) options.issuer = issuer;
  if (audience !== undefined) options.audience = audience;
  return new JwtService().sign({ sub }, options);
}

const TTL_UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
export const MAX_TTL_SECONDS = 365 * TTL_UNIT_SECONDS.d;

/** Parses a lifetime such as `90s`, `15m`, `1h` or `7d` into seconds (up to a year). */
export function parseTtl(raw: string): number {
  const match = /^([1-9]\d{0,5})([smhd])$/.exec(raw);
  if (!match) throw new RangeError(`ttl must be a number with a unit s, m, h or d, such as 90s, 15m, 1h or 7d`);
  const seconds = Number(match[1]) * TTL_UNIT_SECONDS[match[2] as keyof typeof TTL_UNIT_SECONDS];
  if (seconds > MAX_TTL_SECONDS) throw new RangeError('ttl must be at most 365d');
  return seconds;
}

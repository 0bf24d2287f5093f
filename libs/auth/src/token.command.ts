import { parseArgs } from 'node:util';
import type { AppConfig } from '@app/config';
import { isValidSubject, MAX_SUBJECT_LENGTH } from './auth-user.js';
import { parseTtl, signDevToken } from './dev-token.js';

export const TOKEN_USAGE =
  'Usage: npm run token -- --sub <user id> [--ttl 90s|15m|1h|7d] [--iss <issuer>] [--aud <audience>]\n' +
  '  --iss and --aud default to JWT_ISSUER and JWT_AUDIENCE; --ttl to 1h (at most JWT_MAX_LIFETIME_SECONDS)';

/** A mistake in how the command was called, or a config it cannot sign for: exit 2. */
export class TokenUsageError extends Error {
  constructor(
    message: string,
    /** False when the arguments were fine and the usage line would not help. */
    readonly showUsage = true,
  ) {
    super(message);
  }
}

export interface TokenArgs {
  readonly sub: string;
  /** Undefined: one hour, or the gateway's maximum lifetime if that is shorter. */
  readonly ttlSeconds?: number;
  /** Override JWT_ISSUER / JWT_AUDIENCE, e.g. for a gateway in containers whose environment this shell lacks. */
  readonly issuer?: string;
  readonly audience?: string;
}

const DEFAULT_TTL_SECONDS = 3600;
const CLAIM_TEXT = /^\S{1,1024}$/;

export function parseTokenArgs(argv: readonly string[]): TokenArgs {
  let values: { sub?: string; ttl?: string; iss?: string; aud?: string };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        sub: { type: 'string' },
        ttl: { type: 'string' },
        iss: { type: 'string' },
        aud: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new TokenUsageError((err as Error).message);
  }
  if (values.sub === undefined || values.sub === '') throw new TokenUsageError('--sub is required');
  if (!isValidSubject(values.sub)) throw new TokenUsageError(`--sub must be at most ${MAX_SUBJECT_LENGTH} characters`);
  for (const flag of ['iss', 'aud'] as const) {
    const value = values[flag];
    if (value !== undefined && !CLAIM_TEXT.test(value)) {
      throw new TokenUsageError(`--${flag} must be 1 to 1024 characters without spaces`);
    }
  }
  let ttlSeconds: number | undefined;
  try {
    ttlSeconds = values.ttl === undefined ? undefined : parseTtl(values.ttl);
  } catch (err) {
    throw new TokenUsageError(`--${(err as Error).message}`);
  }
  return {
    sub: values.sub,
    ...(ttlSeconds !== undefined && { ttlSeconds }),
    ...(values.iss !== undefined && { issuer: values.iss }),
    ...(values.aud !== undefined && { audience: values.aud }),
  };
}

/**
 * The token for `npm run token`: HS256 with `JWT_SECRET`, the configured (or
 * given) issuer and audience, and a lifetime the gateway accepts.
 */
export function tokenFor(args: TokenArgs, auth: AppConfig['auth']): string {
  if (auth.mode !== 'secret') {
    throw new TokenUsageError(
      'JWT_JWKS_URI is set: the gateway trusts only your identity provider, so get a token from it instead',
      false,
    );
  }
  const ttlSeconds = args.ttlSeconds ?? Math.min(DEFAULT_TTL_SECONDS, auth.maxLifetimeSeconds);
  if (ttlSeconds > auth.maxLifetimeSeconds) {
    throw new TokenUsageError(
      `--ttl must be at most ${auth.maxLifetimeSeconds}s (JWT_MAX_LIFETIME_SECONDS): the gateway refuses longer-lived tokens`,
    );
  }
  return signDevToken({
    secret: auth.secret,
    sub: args.sub,
    ttlSeconds,
    issuer: args.issuer ?? auth.issuer,
    audience: args.audience ?? auth.audience,
  });
}

import { parseArgs } from 'node:util';
import type { AppConfig } from '@app/config';
import { isValidSubject, MAX_SUBJECT_LENGTH } from './auth-user.js';
import { parseTtl, signDevToken } from './dev-token.js';

export const TOKEN_USAGE = 'Usage: npm run token -- --sub <user id> [--ttl 90s|15m|1h|7d]';

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
  readonly ttlSeconds: number;
}

export function parseTokenArgs(argv: readonly string[]): TokenArgs {
  let values: { sub?: string; ttl?: string };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { sub: { type: 'string' }, ttl: { type: 'string', default: '1h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new TokenUsageError((err as Error).message);
  }
  if (values.sub === undefined || values.sub === '') throw new TokenUsageError('--sub is required');
  if (!isValidSubject(values.sub)) throw new TokenUsageError(`--sub must be at most ${MAX_SUBJECT_LENGTH} characters`);
  try {
    return { sub: values.sub, ttlSeconds: parseTtl(values.ttl ?? '1h') };
  } catch (err) {
    throw new TokenUsageError(`--${(err as Error).message}`);
  }
}

/** The token for `npm run token`: HS256 with `JWT_SECRET`, and the configured issuer and audience. */
export function tokenFor(args: TokenArgs, auth: AppConfig['auth']): string {
  if (auth.mode !== 'secret') {
    throw new TokenUsageError(
      'JWT_JWKS_URI is set: the gateway trusts only your identity provider, so get a token from it instead',
      false,
    );
  }
  return signDevToken({
    secret: auth.secret,
    sub: args.sub,
    ttlSeconds: args.ttlSeconds,
    issuer: auth.issuer,
    audience: auth.audience,
  });
}

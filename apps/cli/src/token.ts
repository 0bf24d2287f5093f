/**
 * `npm run token -- --sub alice [--ttl 1h] [--iss <issuer>] [--aud <audience>]`: prints a bearer token for local
 * use, and nothing else on stdout, so `TOKEN=$(npm run -s token -- --sub alice)`
 * works. Exit 2 on a usage error or when JWT_JWKS_URI is configured.
 */
import { loadConfigOrExit } from '@app/config';
import { parseTokenArgs, TOKEN_USAGE, tokenFor, TokenUsageError } from '@app/auth';

try {
  const args = parseTokenArgs(process.argv.slice(2));
  const config = loadConfigOrExit();
  process.stdout.write(`${tokenFor(args, config.auth)}\n`);
} catch (err) {
  if (!(err instanceof TokenUsageError)) throw err;
  process.stderr.write(`token: ${err.message}\n${err.showUsage ? `${TOKEN_USAGE}\n` : ''}`);
  process.exitCode = 2;
}

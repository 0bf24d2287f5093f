import {
  APIErrorCode,
  APIResponseError,
  InvalidPathParameterError,
  RequestTimeoutError,
  UnknownHTTPResponseError,
} from '@notionhq/client';

/**
 * What a failed Notion call means for the caller (the job-worker decides what to
 * do with it): `rate_limited` delays the job by `retryAfterMs`, `transient` is
 * worth retrying, the others are not until someone changes something.
 */
export type NotionFailureKind = 'unauthorized' | 'not_shared' | 'rate_limited' | 'transient' | 'invalid' | 'unknown';

interface NotionFailureBase {
  /** One human-readable line: never a stack trace, never the token. */
  readonly message: string;
  /** Notion's HTTP status, when Notion answered. */
  readonly status?: number;
  /** Notion's error code (`object_not_found`, ...), when Notion answered with one. */
  readonly code?: string;
  /** Notion's `request_id`, for support requests. */
  readonly requestId?: string;
}

export type NotionFailure =
  | (NotionFailureBase & { readonly kind: 'rate_limited'; readonly retryAfterMs: number })
  | (NotionFailureBase & { readonly kind: Exclude<NotionFailureKind, 'rate_limited'> });

export interface NotionFailureContext {
  /** What the call was about, for the `not_shared` message; `database` by default. */
  readonly object?: string;
}

/** The wait before trying again when Notion says 429 (or 529) without `Retry-After`. */
export const DEFAULT_RETRY_AFTER_MS = 30_000;
const MAX_RETRY_AFTER_MS = 60 * 60_000;

/**
 * Thrown from a Notion client's `fetch` when this system's own limiter could not
 * grant a request slot in time: the token's budget is taken by other jobs, so
 * the job should be delayed like a 429, not failed.
 */
export class NotionRateLimitedError extends Error {
  constructor(
    readonly retryAfterMs: number,
    message = 'The Notion rate limit of this integration is saturated by other requests',
  ) {
    super(message);
    this.name = 'NotionRateLimitedError';
  }
}

/** The shared rate limiter (Redis) could not be asked; no request was sent to Notion. */
export class NotionLimiterUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`The Notion rate limiter's Redis is unavailable (${firstLine(cause)})`, { cause });
    this.name = 'NotionLimiterUnavailableError';
  }
}

/**
 * `fetch` threw: Notion could not be reached (DNS, refused or reset connection,
 * TLS), or the request could not even be built. The message never quotes the
 * error `fetch` threw: when a header value is invalid, undici's message quotes
 * the value, and the Authorization header holds the decrypted token. Only a
 * system error code (`ECONNREFUSED`) is kept, and the cause only along with it.
 */
export class NotionNetworkError extends Error {
  /** The request was never sent: `fetch` refused a header (in practice, the token). */
  readonly unsendable: boolean;

  constructor(cause: unknown) {
    const unsendable = isUnsendableRequest(cause);
    const code = unsendable ? undefined : systemErrorCode(cause);
    super(
      unsendable
        ? UNSENDABLE_TOKEN_MESSAGE
        : code
          ? `Notion could not be reached (${code})`
          : 'Notion could not be reached',
      code ? { cause } : undefined,
    );
    this.name = 'NotionNetworkError';
    this.unsendable = unsendable;
  }
}

const UNSENDABLE_TOKEN_MESSAGE =
  'The integration token cannot be sent to Notion (it holds characters an HTTP header cannot carry): update the token';

/** The error and the causes fetch wraps it in (a few levels at most). */
function* causeChain(err: unknown): Generator<{ name?: unknown; message?: unknown; code?: unknown }> {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    yield e;
  }
}

/** `ECONNREFUSED`, `ENOTFOUND`, `UND_ERR_SOCKET`...: the first code along the causes. */
function systemErrorCode(err: unknown): string | undefined {
  for (const { code } of causeChain(err)) {
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
  }
  return undefined;
}

/**
 * `fetch` refused a header value before connecting: CR, LF or NUL ("... is an
 * invalid header value"), a character above U+00FF ("Cannot convert argument
 * to a ByteString"), other control characters ("invalid authorization header",
 * the cause of a "fetch failed"). Read by shape: fetch's errors come from
 * Node's own realm (not Jest's), where `instanceof` fails.
 */
function isUnsendableRequest(err: unknown): boolean {
  for (const { message } of causeChain(err)) {
    if (typeof message === 'string' && /invalid (\w+ )?header|ByteString/i.test(message)) return true;
  }
  return false;
}

/**
 * Reads `Retry-After` (delta-seconds or an HTTP date) from a response's headers,
 * a `Headers` object or a plain record as the SDK keeps them on its errors.
 * Undefined when absent or unreadable.
 */
export function retryAfterMs(headers: unknown, now = Date.now()): number | undefined {
  const value = header(headers, 'retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.min(Math.max(at - now, 0), MAX_RETRY_AFTER_MS);
}

/**
 * Sorts any error from a Notion call (SDK errors, the limiter's, network and
 * timeout errors) into what the caller can act on.
 */
export function classifyNotionError(err: unknown, context: NotionFailureContext = {}): NotionFailure {
  if (err instanceof NotionRateLimitedError) {
    return { kind: 'rate_limited', retryAfterMs: err.retryAfterMs, message: err.message };
  }
  if (err instanceof NotionNetworkError && err.unsendable) {
    // Like a token Notion rejects: no retry can help until the owner replaces it.
    return { kind: 'unauthorized', message: err.message };
  }
  if (err instanceof NotionLimiterUnavailableError || err instanceof NotionNetworkError) {
    return { kind: 'transient', message: clean(err.message) };
  }
  if (RequestTimeoutError.isRequestTimeoutError(err) || isAbortLike(err)) {
    return { kind: 'transient', message: 'Notion did not answer in time' };
  }
  if (InvalidPathParameterError.isInvalidPathParameterError(err)) {
    return { kind: 'invalid', message: clean(`The request to Notion was refused before sending: ${err.message}`) };
  }
  if (APIResponseError.isAPIResponseError(err)) return fromResponse(err, err.code, context);
  if (UnknownHTTPResponseError.isUnknownHTTPResponseError(err)) return fromResponse(err, undefined, context);
  if ((err instanceof TypeError && err.message === 'fetch failed') || isUnsendableRequest(err)) {
    return classifyNotionError(new NotionNetworkError(err), context);
  }
  return { kind: 'unknown', message: clean(`Unexpected error calling Notion: ${firstLine(err)}`) };
}

function fromResponse(
  err: APIResponseError | UnknownHTTPResponseError,
  code: string | undefined,
  context: NotionFailureContext,
): NotionFailure {
  const { status } = err;
  const base = {
    status,
    ...(code && { code }),
    ...(err.request_id && { requestId: err.request_id }),
  };
  const said = code ? `${status} ${code}: ${err.message}` : `${status}`;
  if (status === 401 || code === APIErrorCode.Unauthorized) {
    return { kind: 'unauthorized', message: 'Notion rejected the integration token', ...base };
  }
  if (code === APIErrorCode.ObjectNotFound || code === APIErrorCode.RestrictedResource) {
    const object = context.object ?? 'database';
    return { kind: 'not_shared', message: `The ${object} is not shared with the integration`, ...base };
  }
  if (status === 429 || status === 529 || code === APIErrorCode.RateLimited || code === APIErrorCode.ServiceOverload) {
    const wait = retryAfterMs(err.headers) ?? DEFAULT_RETRY_AFTER_MS;
    return {
      kind: 'rate_limited',
      retryAfterMs: wait,
      message: `Notion is rate limiting this integration (${status}); retry in ${Math.ceil(wait / 1000)} s`,
      ...base,
    };
  }
  // Notion documents 409 conflict_error as "try again".
  if (status >= 500 || code === APIErrorCode.ConflictError) {
    return { kind: 'transient', message: clean(`Notion failed to answer (${said})`), ...base };
  }
  if (status >= 400) {
    return { kind: 'invalid', message: clean(`Notion refused the request (${said})`), ...base };
  }
  return { kind: 'unknown', message: clean(`Unexpected answer from Notion (${said})`), ...base };
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const get = (headers as { get?: unknown }).get;
  if (typeof get === 'function') {
    const value: unknown = get.call(headers, name);
    return typeof value === 'string' ? value : undefined;
  }
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  }
  return undefined;
}

/** Timeouts and aborts raised by `fetch` or body reads (`AbortSignal.timeout`). */
function isAbortLike(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n', 1)[0] ?? '';
}

// Notion integration tokens (`secret_…`, `ntn_…`): masked wherever a message
// could have picked one up from an unexpected error.
const TOKEN_LIKE = /\b(secret|ntn)_[A-Za-z0-9]{8,}/g;
const MAX_MESSAGE = 300;

function clean(message: string): string {
  const line = (message.split('\n', 1)[0] ?? '').replace(TOKEN_LIKE, '$1_…');
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE - 1)}…` : line;
}

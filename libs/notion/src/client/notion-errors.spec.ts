import { describe, expect, it } from '@jest/globals';
import { Client, RequestTimeoutError } from '@notionhq/client';
import {
  DEFAULT_RETRY_AFTER_MS,
  NotionLimiterUnavailableError,
  NotionNetworkError,
  NotionRateLimitedError,
  classifyNotionError,
  retryAfterMs,
} from './notion-errors.js';

const TOKEN = 'ntn_abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * The error the real SDK throws for this answer (its own `buildRequestError`
 * path), obtained through a client whose `fetch` returns the response.
 */
async function sdkErrorFor(status: number, body: unknown, headers: Record<string, string> = {}): Promise<unknown> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const client = new Client({
    auth: TOKEN,
    retry: false,
    logger: () => undefined,
    fetch: async () => new Response(text, { status, headers: { 'content-type': 'application/json', ...headers } }),
  });
  return client.databases.retrieve({ database_id: 'd1' }).then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: unknown) => err,
  );
}

const notionError = (status: number, code: string, message = `${code} happened`) => ({
  object: 'error',
  status,
  code,
  message,
  request_id: 'req-1',
});

describe('classifyNotionError', () => {
  it('calls a 401 unauthorized', async () => {
    const failure = classifyNotionError(
      await sdkErrorFor(401, notionError(401, 'unauthorized', 'API token is invalid.')),
    );
    expect(failure).toEqual({
      kind: 'unauthorized',
      message: 'Notion rejected the integration token',
      status: 401,
      code: 'unauthorized',
      requestId: 'req-1',
    });
  });

  it.each([
    [404, 'object_not_found'],
    [403, 'restricted_resource'],
  ])('calls %i %s not shared, naming the object the caller gives', async (status, code) => {
    const err = await sdkErrorFor(status, notionError(status, code));
    expect(classifyNotionError(err)).toMatchObject({
      kind: 'not_shared',
      message: 'The database is not shared with the integration',
      status,
      code,
    });
    expect(classifyNotionError(err, { object: 'page' }).message).toBe('The page is not shared with the integration');
  });

  it('reads Retry-After (seconds) from a 429 that outlasted the retries', async () => {
    const err = await sdkErrorFor(429, notionError(429, 'rate_limited'), { 'retry-after': '7' });
    expect(classifyNotionError(err)).toMatchObject({ kind: 'rate_limited', retryAfterMs: 7000, status: 429 });
    expect(classifyNotionError(err).message).toBe('Notion is rate limiting this integration (429); retry in 7 s');
  });

  it('reads Retry-After as an HTTP date', () => {
    const now = Date.parse('2026-03-01T10:00:00Z');
    expect(retryAfterMs({ 'Retry-After': 'Sun, 01 Mar 2026 10:00:42 GMT' }, now)).toBe(42_000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Sun, 01 Mar 2026 09:00:00 GMT' }), now)).toBe(0);
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });

  it('waits 30 s on a 429 without Retry-After, and treats 529 like 429', async () => {
    const bare = await sdkErrorFor(429, notionError(429, 'rate_limited'));
    expect(classifyNotionError(bare)).toMatchObject({ kind: 'rate_limited', retryAfterMs: DEFAULT_RETRY_AFTER_MS });
    const overload = await sdkErrorFor(529, notionError(529, 'service_overload'), { 'retry-after': '3' });
    expect(classifyNotionError(overload)).toMatchObject({ kind: 'rate_limited', retryAfterMs: 3000, status: 529 });
  });

  it.each([
    [500, 'internal_server_error'],
    [503, 'service_unavailable'],
    [504, 'gateway_timeout'],
    [409, 'conflict_error'],
  ])('calls %i %s transient', async (status, code) => {
    const failure = classifyNotionError(await sdkErrorFor(status, notionError(status, code)));
    expect(failure).toMatchObject({ kind: 'transient', status, code });
    expect(failure.message).toBe(`Notion failed to answer (${status} ${code}: ${code} happened)`);
  });

  it('calls a 5xx with a body Notion did not shape (a proxy page) transient', async () => {
    const err = await sdkErrorFor(502, '<html>Bad gateway</html>');
    expect(err).toHaveProperty('name', 'UnknownHTTPResponseError');
    expect(classifyNotionError(err)).toEqual({
      kind: 'transient',
      message: 'Notion failed to answer (502)',
      status: 502,
    });
  });

  it.each([
    [400, 'validation_error'],
    [400, 'invalid_request_url'],
    [400, 'missing_version'],
  ])('calls %i %s invalid', async (status, code) => {
    expect(classifyNotionError(await sdkErrorFor(status, notionError(status, code)))).toMatchObject({
      kind: 'invalid',
      status,
    });
  });

  it('sorts timeouts, network, limiter and its own saturation errors', () => {
    expect(classifyNotionError(new RequestTimeoutError())).toEqual({
      kind: 'transient',
      message: 'Notion did not answer in time',
    });
    expect(classifyNotionError(new DOMException('The operation was aborted due to timeout', 'TimeoutError')).kind).toBe(
      'transient',
    );
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    expect(classifyNotionError(refused)).toEqual({
      kind: 'transient',
      message: 'Notion could not be reached (ECONNREFUSED)',
    });
    expect(classifyNotionError(new NotionNetworkError(refused)).message).toBe(
      'Notion could not be reached (ECONNREFUSED)',
    );
    expect(classifyNotionError(new NotionLimiterUnavailableError(new Error('Connection is closed.')))).toEqual({
      kind: 'transient',
      message: "The Notion rate limiter's Redis is unavailable (Connection is closed.)",
    });
    expect(classifyNotionError(new NotionRateLimitedError(12_000))).toEqual({
      kind: 'rate_limited',
      retryAfterMs: 12_000,
      message: 'The Notion rate limit of this integration is saturated by other requests',
    });
  });

  it("never quotes fetch's error: undici's message for an invalid header value holds the token", () => {
    const token = 'ntn_crsecret\rrest';
    // What fetch throws for a CR in the Authorization header (the SDK sends "Bearer <token>").
    const thrown = new TypeError(`Headers.append: "Bearer ${token}" is an invalid header value.`);
    for (const err of [thrown, new NotionNetworkError(thrown)]) {
      const failure = classifyNotionError(err);
      expect(failure).toEqual({
        kind: 'unauthorized',
        message:
          'The integration token cannot be sent to Notion (it holds characters an HTTP header cannot carry): update the token',
      });
    }
    const wrapped = new NotionNetworkError(thrown);
    expect(wrapped.message).not.toContain('crsecret');
    expect(wrapped.cause).toBeUndefined();
    // Other shapes of the same refusal: above U+00FF, and other control characters (a wrapped cause).
    const byteString = new TypeError('Cannot convert argument to a ByteString because the character at index 9 ...');
    expect(classifyNotionError(new NotionNetworkError(byteString)).kind).toBe('unauthorized');
    const invalidArg = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('invalid authorization header'), { code: 'UND_ERR_INVALID_ARG' }),
    });
    expect(classifyNotionError(invalidArg).kind).toBe('unauthorized');
  });

  it('keeps only a system error code from a network error, never its text', () => {
    const reset = Object.assign(new TypeError('fetch failed'), {
      cause: new Error('other side closed: secret_abcdef0123456789'),
    });
    expect(classifyNotionError(reset).message).toBe('Notion could not be reached');
    expect(new NotionNetworkError(reset).cause).toBeUndefined();
  });

  it('calls anything else unknown, in one line and without a token', () => {
    const err = new Error(`boom with ${TOKEN}\n    at somewhere (file.ts:1:1)`);
    const failure = classifyNotionError(err);
    expect(failure.kind).toBe('unknown');
    expect(failure.message).toBe('Unexpected error calling Notion: boom with ntn_…');
    expect(classifyNotionError('a string').message).toBe('Unexpected error calling Notion: a string');
  });
});

import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { exceedsJsonDepth } from '@app/notion';
import { API_PREFIX, NOTION_WEBHOOKS_PATH } from './routes.js';

/** The API's JSON bodies; the webhook intake's limit is WEBHOOK_BODY_LIMIT_BYTES (config). */
export const API_BODY_LIMIT_BYTES = 100 * 1024;
export const WEBHOOK_PATH_PREFIX = `/${API_PREFIX}/${NOTION_WEBHOOKS_PATH}/`;
/**
 * Deepest nesting of objects and arrays in an API body. Every request DTO is
 * flat; the cap is far above them and far below what overflows the stack of
 * class-transformer's recursive walk (a few thousand levels).
 */
export const API_JSON_MAX_DEPTH = 32;

/** A body the gateway refuses before any route sees it; `code` names the reason. */
export class BodyError extends Error {
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

/**
 * One JSON parser for the whole gateway. Webhook routes get the raw bytes as
 * a Buffer, unparsed: their signature is an HMAC of those exact bytes, and
 * the intake must answer 404 and 401 before it judges the JSON (400). Every
 * other route gets a parsed JSON object (see `parseApiBody`), and 413 past 100 KB.
 */
export function useJsonBodyParser(app: NestFastifyApplication, webhookBodyLimitBytes: number): void {
  // Fastify parses text/plain by default; the API speaks JSON only (415 otherwise).
  app.getHttpAdapter().getInstance().removeContentTypeParser('text/plain');
  app.useBodyParser(
    'application/json',
    { bodyLimit: Math.max(webhookBodyLimitBytes, API_BODY_LIMIT_BYTES) },
    (req: FastifyRequest, body: Buffer) => {
      if ((req.url ?? '').startsWith(WEBHOOK_PATH_PREFIX)) {
        if (body.length > webhookBodyLimitBytes) {
          throw new BodyError('FST_ERR_CTP_BODY_TOO_LARGE', 413, 'Request body is too large');
        }
        return Promise.resolve(body);
      }
      return Promise.resolve(parseApiBody(body));
    },
  );
}

/**
 * An API body: at most 100 KB, JSON, nested at most `API_JSON_MAX_DEPTH` deep
 * (checked on the bytes, before anything recursive runs), and an object:
 * every API body is a DTO, and Nest's validation pipe would turn a `null`
 * body into `{}` (a PATCH that changes nothing, answered 200).
 */
export function parseApiBody(body: Buffer): Record<string, unknown> {
  if (body.length > API_BODY_LIMIT_BYTES) {
    throw new BodyError('FST_ERR_CTP_BODY_TOO_LARGE', 413, 'Request body is too large');
  }
  if (body.length === 0) throw new BodyError('FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'The JSON body is empty');
  if (exceedsJsonDepth(body, API_JSON_MAX_DEPTH)) {
    throw new BodyError('JSON_TOO_DEEP', 400, `The JSON body is nested more than ${API_JSON_MAX_DEPTH} levels deep`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new BodyError('FST_ERR_CTP_INVALID_JSON_BODY', 400, 'The body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BodyError('JSON_NOT_AN_OBJECT', 400, 'The JSON body must be an object');
  }
  return parsed as Record<string, unknown>;
}

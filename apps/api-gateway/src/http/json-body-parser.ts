import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { API_PREFIX, NOTION_WEBHOOKS_PATH } from './routes.js';

/** The API's JSON bodies; the webhook intake's limit is WEBHOOK_BODY_LIMIT_BYTES (config). */
export const API_BODY_LIMIT_BYTES = 100 * 1024;
export const WEBHOOK_PATH_PREFIX = `/${API_PREFIX}/${NOTION_WEBHOOKS_PATH}/`;

class BodyError extends Error {
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One JSON parser for the whole gateway. Webhook routes get the raw bytes as
 * a Buffer, unparsed: their signature is an HMAC of those exact bytes, and
 * the intake must answer 404 and 401 before it judges the JSON (400). Every
 * other route gets parsed JSON, and 413 past 100 KB.
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
      if (body.length > API_BODY_LIMIT_BYTES) {
        throw new BodyError('FST_ERR_CTP_BODY_TOO_LARGE', 413, 'Request body is too large');
      }
      if (body.length === 0) throw new BodyError('FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'The JSON body is empty');
      try {
        return Promise.resolve(JSON.parse(body.toString('utf8')) as unknown);
      } catch {
        throw new BodyError('FST_ERR_CTP_INVALID_JSON_BODY', 400, 'The body is not valid JSON');
      }
    },
  );
}

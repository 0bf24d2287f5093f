import helmet from '@fastify/helmet';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { isLoopbackOrigin, type AppConfig } from '@app/config';
import { createFastifyAdapter, StartupQuietLogger } from '@app/observability';
import { ApiGatewayModule } from './api-gateway.module.js';
import { API_BODY_LIMIT_BYTES, useJsonBodyParser } from './http/json-body-parser.js';
import { completeOpenApiDocument } from './http/openapi-document.js';
import { QUERY_SCHEMAS } from './pages/query-openapi.js';
import { ProblemDetailsDto } from './http/problem-details.js';
import { rejectLongPathParams, routerOptionsForProblems } from './http/route-errors.js';
import { API_PREFIX } from './http/routes.js';

export { API_PREFIX };

/** OpenAPI UI and document. */
export const DOCS_PATH = 'docs';
export const OPENAPI_JSON_PATH = 'docs/openapi.json';

/** Builds the gateway exactly as `main.ts` runs it; e2e tests use it too. */
export async function createGatewayApp(config: AppConfig): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    ApiGatewayModule.forRoot(config),
    // Other content types stay at 100 KB; JSON limits are in useJsonBodyParser.
    createFastifyAdapter({
      bodyLimit: API_BODY_LIMIT_BYTES,
      trustProxy: config.gateway.trustProxy,
      ...routerOptionsForProblems(),
    }),
    // Nest's own JSON and form parsers off: useJsonBodyParser is the only one.
    { bufferLogs: true, bodyParser: false },
  );
  app.useLogger(new StartupQuietLogger(app.get(Logger)));
  useJsonBodyParser(app, config.gateway.webhook.bodyLimitBytes);
  rejectLongPathParams(app);
  app.setGlobalPrefix(API_PREFIX, { exclude: ['health/live', 'health/ready'] });
  await app.register(helmet, {
    // The API serves JSON; the only HTML is the OpenAPI UI, which needs inline code.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
      },
    },
  });
  app.enableCors({
    origin: corsOrigin(config.gateway),
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    // last-event-id: a stream's resume position, which fetch-based SSE clients send themselves.
    allowedHeaders: ['authorization', 'content-type', 'x-request-id', 'last-event-id'],
    // Browsers hide response headers from scripts unless they are listed here.
    exposedHeaders: [
      'location',
      'retry-after',
      'x-request-id',
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
    ],
    maxAge: 600,
  });
  setUpOpenApi(app);
  return app;
}

type CorsOrigin = NonNullable<Parameters<NestFastifyApplication['enableCors']>[0]>['origin'];

/**
 * The origins CORS lets in: `CORS_ORIGINS`; else, in development, any page
 * served from this machine; else none. A refused preflight gets no CORS headers
 * (405: the path has no OPTIONS route; 404 on an unknown path). Tokens
 * travel in the Authorization header, never in cookies (no credentials mode),
 * so an allowed origin still needs a token of its own.
 */
function corsOrigin({ corsOrigins, corsLoopback }: AppConfig['gateway']): CorsOrigin {
  if (corsOrigins.length) return [...corsOrigins];
  if (corsLoopback) return (origin, allow) => allow(null, origin !== undefined && isLoopbackOrigin(origin));
  return false;
}

/**
 * The OpenAPI document and its UI under /docs. The document is built on the
 * first request for it, not at boot: it and the scan behind it are megabytes
 * of heap that a gateway nobody reads the docs of never needs.
 */
function setUpOpenApi(app: NestFastifyApplication): void {
  const document = () =>
    completeOpenApiDocument(
      SwaggerModule.createDocument(
        app,
        new DocumentBuilder()
          .setTitle('notion-sync API')
          .setDescription(
            "Your users' Notion databases, mirrored in Postgres. Every route needs a bearer token (JWT) unless noted; " +
              'errors are application/problem+json (RFC 9457). Unknown body fields and query parameters are refused ' +
              '(400); string lengths count characters (Unicode code points). A method a path does not have answers ' +
              '405 with `Allow`; a path no route has answers 404.',
          )
          .setVersion('1')
          .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
          .build(),
        { extraModels: [ProblemDetailsDto] },
      ),
      QUERY_SCHEMAS,
    );
  SwaggerModule.setup(DOCS_PATH, app, document, {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    yamlDocumentUrl: 'docs/openapi.yaml',
  });
}

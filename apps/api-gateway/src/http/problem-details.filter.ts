import { ArgumentsHost, Catch, HttpException, Logger, NotFoundException, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '@app/contracts';
import { BodyError } from './json-body-parser.js';
import {
  PROBLEM_CONTENT_TYPE,
  problem,
  STATUS_OF,
  type FieldErrorDto,
  type ProblemDetailsDto,
} from './problem-details.js';
import { RequestValidationError } from './request-validation.js';
import { MethodNotAllowedError, unmatchedRouteError } from './route-errors.js';
import { redactPath } from './routes.js';

/** Fastify's own errors (raised before a route runs) that are the client's fault. */
const FASTIFY_CLIENT_ERRORS: Record<string, { status: number; detail: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, detail: 'The request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, detail: 'Unsupported Content-Type: send application/json' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, detail: 'The JSON body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, detail: 'The body is not valid JSON' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, detail: 'Content-Length does not match the body' },
};

/**
 * Renders every error as RFC 9457 problem details (`application/problem+json`).
 * Domain errors map to their status through `STATUS_OF`; unexpected errors
 * become a 500 whose detail says nothing about internals (the log has them).
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemDetailsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    // Nest's not-found handler says "Cannot GET <path>": the path may hold a secret.
    const error = exception instanceof NotFoundException && request.is404 ? unmatchedRouteError(request) : exception;
    const body = this.toProblem(error, request);
    if (error instanceof MethodNotAllowedError) void reply.header('allow', error.allow.join(', '));
    // An error that asks the caller to wait says how long in `retryAfterSeconds`.
    const retryAfter = (error as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
    if (typeof retryAfter === 'number') void reply.header('retry-after', retryAfter);
    // Headers already set on the reply (the rate limit's Retry-After) are kept.
    void reply.status(body.status).header('content-type', PROBLEM_CONTENT_TYPE).send(body);
  }

  toProblem(exception: unknown, request: FastifyRequest): ProblemDetailsDto {
    // The webhook path's key is a secret: error bodies show it redacted.
    const instance = redactPath(request.url);
    if (exception instanceof BodyError) return problem(exception.statusCode, exception.message, { instance });
    if (exception instanceof RequestValidationError) {
      return problem(400, 'The request is not valid: see errors', { instance, errors: exception.fieldErrors });
    }
    if (exception instanceof DomainError) {
      // A domain error about parts of the request (a query's filter) names them as validation errors do.
      const errors = (exception as { fieldErrors?: FieldErrorDto[] }).fieldErrors;
      return problem(STATUS_OF[exception.code], exception.message, { code: exception.code, instance, errors });
    }
    const fastifyError = exception as { code?: string; message?: string } | null;
    const known = fastifyError?.code ? FASTIFY_CLIENT_ERRORS[fastifyError.code] : undefined;
    if (known) return problem(known.status, fastifyError?.message || known.detail, { instance });
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const message =
        typeof response === 'string'
          ? response
          : ((response as { message?: string | string[] }).message ?? exception.message);
      // Nest's unknown-route 404 quotes the path, which may hold a webhook key.
      return problem(status, redactPath(Array.isArray(message) ? message.join('; ') : message), { instance });
    }
    const statusCode = (exception as { statusCode?: number } | null)?.statusCode;
    if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
      return problem(statusCode, 'The request could not be processed', { instance });
    }
    this.logger.error({
      msg: 'Unhandled error',
      err:
        exception instanceof Error
          ? { name: exception.name, message: exception.message, stack: exception.stack }
          : String(exception),
    });
    return problem(500, 'Something went wrong on our side; it has been logged', { instance });
  }
}

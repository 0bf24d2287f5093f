import {
  Injectable,
  Logger,
  ServiceUnavailableException,
  UnauthorizedException,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { TokenExpiredError } from '@nestjs/jwt';
import { AuthGuard } from '@nestjs/passport';
import type { Observable } from 'rxjs';
import type { AuthUser } from './auth-user.js';
import { ACCEPTS_STREAM_TICKET_KEY, IS_PUBLIC_KEY } from './public.decorator.js';
import { StreamTickets, type OpenedStreamTicket } from './stream-ticket.js';

/** What passport-jwt reports when the Authorization header holds no bearer token. */
const NO_TOKEN_MESSAGE = 'No auth token';

/** The reply methods the guard uses: Fastify's reply and Express's response both have them. */
interface HeaderSetter {
  header(name: string, value: string): unknown;
}

/** What the guard reads of a request that may carry a stream ticket. */
interface TicketRequest {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly query?: Record<string, unknown>;
  readonly params?: Record<string, unknown>;
  user?: AuthUser;
}

const TICKET_REFUSALS: Record<Extract<OpenedStreamTicket, { ok: false }>['reason'], string> = {
  invalid: 'Invalid stream ticket',
  expired: 'Expired stream ticket: ask for a new one',
  'other-project': 'This stream ticket is for another project',
};

/**
 * The global guard: every route needs a valid bearer token unless it (or its
 * controller) is `@Public()`. Every failure is an `UnauthorizedException`
 * with a short generic message (never the token, never the verifier's
 * detail), so the exception filter renders it as a 401, with the RFC 6750
 * `WWW-Authenticate` challenge.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  private readonly logger = new Logger(JwtAuthGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly tickets: StreamTickets,
  ) {
    super();
  }

  override canActivate(context: ExecutionContext): boolean | Promise<boolean> | Observable<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets) === true) return true;
    const request = context.switchToHttp().getRequest<TicketRequest>();
    const ticket = request.query?.['ticket'];
    if (
      ticket !== undefined &&
      request.headers.authorization === undefined &&
      this.reflector.getAllAndOverride<boolean | undefined>(ACCEPTS_STREAM_TICKET_KEY, targets) === true
    ) {
      return this.admitTicket(request, ticket, context);
    }
    return super.canActivate(context);
  }

  /** A ticket opens the route's own project only; the route still checks that the project is the owner's. */
  private admitTicket(request: TicketRequest, ticket: unknown, context: ExecutionContext): true {
    const projectId = request.params?.['id'];
    const opened =
      typeof ticket === 'string' && typeof projectId === 'string'
        ? this.tickets.open(ticket, projectId)
        : ({ ok: false, reason: 'invalid' } as const);
    if (opened.ok) {
      request.user = { id: opened.ownerId };
      return true;
    }
    const reply = context.switchToHttp().getResponse<Partial<HeaderSetter>>();
    reply.header?.(
      'WWW-Authenticate',
      `Bearer error="invalid_token", error_description="${TICKET_REFUSALS[opened.reason]}"`,
    );
    throw new UnauthorizedException(TICKET_REFUSALS[opened.reason]);
  }

  override handleRequest<TUser>(err: unknown, user: TUser | false, info: unknown, context: ExecutionContext): TUser {
    if (!err && user) return user;
    const cause = asError(err ?? info);
    const missing = cause?.message === NO_TOKEN_MESSAGE;
    const expired = !err && info instanceof TokenExpiredError;
    if (cause) this.logFailure(cause);

    const reply = context.switchToHttp().getResponse<Partial<HeaderSetter>>();
    if (cause && isKeysTrouble(cause)) {
      // The token may well be valid: we could not fetch the keys to check it.
      // 503 tells the client to retry, where a 401 would make it drop the session.
      reply.header?.('Retry-After', String(KEYS_RETRY_AFTER_SECONDS));
      throw new ServiceUnavailableException('Token keys are unavailable right now; retry shortly');
    }
    const description = missing ? 'Missing bearer token' : expired ? 'Expired bearer token' : 'Invalid bearer token';
    reply.header?.(
      'WWW-Authenticate',
      missing ? 'Bearer' : `Bearer error="invalid_token", error_description="${description}"`,
    );
    throw new UnauthorizedException(description);
  }

  private logFailure(cause: FailureCause): void {
    // jwks-rsa marks fetch failures; a flood of unknown kids trips its rate limit.
    // Both mean valid tokens may be refused too, so an operator should know.
    if (isKeysTrouble(cause)) this.logger.warn(`Token keys unavailable: ${cause.name}: ${cause.message}`);
    // The verifier's messages ("invalid signature", "jwt expired") never contain the token.
    else this.logger.debug(`Token refused: ${cause.message}`);
  }
}

const KEYS_RETRY_AFTER_SECONDS = 5;

/** jwks-rsa marks fetch failures; a flood of unknown kids trips its rate limit. */
function isKeysTrouble(cause: FailureCause): boolean {
  return cause.isEndpointUnavailable === true || cause.name === 'JwksRateLimitError';
}

interface FailureCause {
  readonly name: string;
  readonly message: string;
  readonly isEndpointUnavailable?: boolean;
}

/**
 * The failure passport reported, read by shape: network errors from the JWKS
 * fetch come from Node's own realm, where `instanceof Error` can be false
 * (under Jest, for one).
 */
function asError(cause: unknown): FailureCause | undefined {
  if (typeof cause !== 'object' || cause === null) return undefined;
  const { name, message, isEndpointUnavailable } = cause as Record<string, unknown>;
  if (typeof message !== 'string') return undefined;
  return {
    name: typeof name === 'string' ? name : 'Error',
    message,
    isEndpointUnavailable: isEndpointUnavailable === true,
  };
}

import {
  BadRequestException,
  HttpException,
  HttpStatus,
  Injectable,
  Logger,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { BusEvent, DomainError, ErrorCode } from '@app/contracts';
import { InboxService } from '@app/inbox';
import {
  MAX_HANDSHAKE_BYTES,
  parseWebhookBody,
  readHandshake,
  verifyNotionSignature,
  type NotionHandshake,
} from '@app/notion';
import { EventBus } from '@app/messaging';
import { Metrics, type DeliveryRejection } from '@app/observability';
import { ProjectsService, WebhookStatus, type WebhookCredentials } from '@app/projects';
import { UUID_PATTERN } from '../http/text-rules.js';
import { IntakeFailureLimiter } from './intake-failure-limiter.js';

/** Seconds Notion is asked to wait before retrying when we cannot commit. */
export const RETRY_AFTER_SECONDS = 5;

export class InboxUnavailableError extends HttpException {
  /** Sent as `Retry-After` by the problem-details filter. */
  readonly retryAfterSeconds = RETRY_AFTER_SECONDS;

  constructor() {
    super('The event could not be stored right now; retry later', HttpStatus.SERVICE_UNAVAILABLE);
  }
}

export class MalformedWebhookError extends BadRequestException {}

/** The same answer for every URL that leads nowhere: an unknown key says nothing about any project. */
export class UnknownWebhookError extends NotFoundException {
  constructor() {
    super('No such webhook');
  }
}

export class BadSignatureError extends UnauthorizedException {
  constructor() {
    super('Missing or invalid X-Notion-Signature');
  }
}

/** This client failed too often: its failing requests answer 429 for a while (`Retry-After`). */
export class IntakeFailuresLimitedError extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super('Too many failed webhook requests from this client: retry after the time in Retry-After', 429);
  }
}

export type IntakeOutcome =
  { readonly kind: 'handshake' } | { readonly kind: 'event'; readonly deliveryId: string; readonly duplicate: boolean };

/** What the intake knows of a request before its body is read. */
export interface IntakeHead {
  /** The last segment of the webhook URL: a secret key, or a project id for a legacy URL. */
  readonly key: string;
  readonly signature: string | undefined;
  /** The client's address (behind TRUST_PROXY, the forwarded one). */
  readonly ip: string;
  /** `Content-Length`, when the client sent one. */
  readonly contentLength: number | undefined;
}

/** One request to the intake, admitted (see `admit`), with its body. */
export interface IntakeRequest {
  readonly credentials: WebhookCredentials;
  readonly raw: Buffer;
  readonly signature: string | undefined;
  readonly ip: string;
  readonly correlationId: string;
}

/** The metric label for an error `judge` threw. */
function rejectionOf(err: unknown): DeliveryRejection {
  if (err instanceof UnknownWebhookError) return 'unknown_project';
  if (err instanceof BadSignatureError) return 'bad_signature';
  if (err instanceof MalformedWebhookError) return 'malformed';
  if (err instanceof IntakeFailuresLimitedError) return 'rate_limited';
  if (err instanceof InboxUnavailableError) return 'unavailable';
  if (err instanceof DomainError && err.code === ErrorCode.WebhookAlreadyVerified) return 'handshake_refused';
  if (err instanceof DomainError && err.code === ErrorCode.WebhookHandshakeLimited) return 'handshake_limited';
  return 'error';
}

/** Failures a stranger can cause without the URL's key or the token: counted per client. */
const isStrangersFailure = (err: unknown) =>
  err instanceof UnknownWebhookError || err instanceof BadSignatureError || err instanceof MalformedWebhookError;

/**
 * Judges one webhook request, spending as little as possible on strangers.
 * Before the body is read (`admit`, from a `preParsing` hook):
 *
 * 1. A client over its failure limit sending no signature: 429 at once.
 * 2. The URL's key (or, for a legacy URL, the project id) finds the webhook, or 404.
 * 3. No signature and a body announced larger than a handshake: 401 (404 at a
 *    legacy URL), the body never read.
 *
 * Then, with the body (`receive`):
 *
 * 4. The signature is checked on the raw bytes (an HMAC: cheap whatever the body).
 * 5. Only a correctly signed body is parsed in full (depth-capped, no
 *    recursion) and validated: 400 when malformed. An unsigned body is read
 *    only if it is as small as a handshake; anything else is 401.
 * 6. Stored durably, and only then answered 200. Postgres trouble is a 503
 *    with Retry-After, never a 2xx, so Notion retries.
 *
 * A legacy URL takes correctly signed events and nothing else: any other
 * request there answers the same 404 as an unknown key.
 */
@Injectable()
export class WebhookIntakeService {
  private readonly logger = new Logger(WebhookIntakeService.name);

  constructor(
    private readonly projects: ProjectsService,
    private readonly inbox: InboxService,
    private readonly bus: EventBus,
    private readonly metrics: Metrics,
    private readonly failures: IntakeFailureLimiter,
  ) {}

  /**
   * Finds the webhook a request is for before its body is read, refusing
   * early what can be refused without the body (see the class comment).
   */
  async admit(head: IntakeHead): Promise<WebhookCredentials> {
    return this.counted(head.ip, async () => {
      const { key, signature } = head;
      if (!signature) {
        const blockedFor = this.failures.blockedFor(head.ip);
        if (blockedFor > 0) throw new IntakeFailuresLimitedError(blockedFor);
      }
      const credentials = await this.durably(() =>
        UUID_PATTERN.test(key) ? this.projects.legacyWebhookCredentials(key) : this.projects.webhookCredentials(key),
      );
      if (!credentials) throw new UnknownWebhookError();
      if (!signature && (head.contentLength ?? 0) > MAX_HANDSHAKE_BYTES) {
        throw credentials.legacy ? new UnknownWebhookError() : new BadSignatureError();
      }
      return credentials;
    });
  }

  /** Judges and stores an admitted request (see `judge`), counting its outcome in `deliveries_total`. */
  async receive(request: IntakeRequest): Promise<IntakeOutcome> {
    const outcome = await this.counted(request.ip, () => this.judge(request));
    if (outcome.kind === 'handshake') this.metrics.delivery('handshake');
    else this.metrics.delivery(outcome.duplicate ? 'duplicate' : 'accepted');
    return outcome;
  }

  /** A request whose body Fastify refused as too large never reaches `receive`: counted here. */
  tooLarge(ip: string): void {
    this.failures.fail(ip);
    this.metrics.delivery('rejected', 'too_large');
  }

  /**
   * Runs a step of the intake; a failure is counted in `deliveries_total`, and
   * a stranger's failure against the client, which past its limit turns the
   * answer into a 429.
   */
  private async counted<T>(ip: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      let thrown = err;
      if (isStrangersFailure(err)) {
        const blockedFor = this.failures.fail(ip);
        if (blockedFor > 0) thrown = new IntakeFailuresLimitedError(blockedFor);
      }
      this.metrics.delivery('rejected', rejectionOf(thrown));
      throw thrown;
    }
  }

  private async judge(request: IntakeRequest): Promise<IntakeOutcome> {
    const { credentials, raw, signature, correlationId } = request;
    const signed =
      signature !== undefined &&
      credentials.verificationToken !== undefined &&
      (await verifyNotionSignature(raw, signature, credentials.verificationToken));
    if (!signed) {
      if (credentials.legacy) throw new UnknownWebhookError();
      const handshake = readHandshake(raw);
      if (!handshake) throw new BadSignatureError();
      return this.handshake(credentials, handshake, correlationId);
    }

    const body = parseWebhookBody(raw);
    if (body.kind === 'handshake') return this.handshake(credentials, body.handshake, correlationId);
    if (body.kind === 'malformed') throw new MalformedWebhookError(body.reason);
    const { projectId } = credentials;
    const { deliveryId, duplicate } = await this.durably(() =>
      this.inbox.record(projectId, body.event, body.payload, correlationId),
    );
    if (credentials.status === WebhookStatus.AwaitingVerification && credentials.tokenVersion) {
      // A correctly signed event proves the token is in Notion.
      await this.durably(() => this.projects.markWebhookVerifiedBySignedEvent(projectId, credentials.tokenVersion!));
    }
    if (!duplicate) {
      // After the commit, fire and forget: if Redis is down the relay dispatches it.
      this.bus.emit(BusEvent.NotionWebhookReceived, { deliveryId, projectId, correlationId });
    }
    this.logger.log({
      msg: duplicate ? 'Redelivery ignored' : 'Delivery stored',
      deliveryId,
      type: body.event.type,
      correlationId,
    });
    return { kind: 'event', deliveryId, duplicate };
  }

  /**
   * Notion's handshake, signed or not (reports differ on whether Notion signs
   * it): stored while the webhook is pending, a few per minute; 409 once verified.
   */
  private async handshake(
    credentials: WebhookCredentials,
    handshake: NotionHandshake,
    correlationId: string,
  ): Promise<IntakeOutcome> {
    const { projectId } = credentials;
    await this.durably(() => this.projects.acceptHandshake(projectId, handshake.verificationToken));
    this.logger.log({ msg: 'Webhook handshake stored; awaiting confirmation', projectId, correlationId });
    return { kind: 'handshake' };
  }

  /** Runs a database step; anything but a domain or HTTP error means "cannot commit now". */
  private async durably<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      if (err instanceof DomainError || err instanceof HttpException) throw err;
      this.logger.warn(`Webhook not stored: ${(err as Error).message}`);
      throw new InboxUnavailableError();
    }
  }
}

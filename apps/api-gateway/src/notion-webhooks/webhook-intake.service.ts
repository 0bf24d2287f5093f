import {
  BadRequestException,
  HttpException,
  HttpStatus,
  Injectable,
  Logger,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { DomainError, ErrorCode } from '@app/contracts';
import { InboxService, type RecordedDelivery } from '@app/inbox';
import {
  MAX_HANDSHAKE_BYTES,
  parseWebhookBody,
  readHandshake,
  verifyNotionSignature,
  type NotionHandshake,
} from '@app/notion';
import { Metrics, type DeliveryRejection } from '@app/observability';
import { ProjectsService, WebhookStatus } from '@app/projects';
import { IntakeFailureLimiter } from './intake-failure-limiter.js';
import { WebhookCredentialsCache, type FoundWebhook } from './webhook-credentials.cache.js';
import { WebhookSignals } from './webhook-signals.js';

/**
 * Inserts tried per event when the credentials keep changing under it (each
 * refusal re-reads them); past it, a 503 and Notion retries.
 */
const RECORD_ATTEMPTS = 3;

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
  readonly webhook: FoundWebhook;
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
    private readonly signals: WebhookSignals,
    private readonly metrics: Metrics,
    private readonly failures: IntakeFailureLimiter,
    private readonly webhooks: WebhookCredentialsCache,
  ) {}

  /**
   * Finds the webhook a request is for before its body is read, refusing
   * early what can be refused without the body (see the class comment).
   */
  async admit(head: IntakeHead): Promise<FoundWebhook> {
    return this.counted(head.ip, async () => {
      const { key, signature } = head;
      if (!signature) {
        const blockedFor = this.failures.blockedFor(head.ip);
        if (blockedFor > 0) throw new IntakeFailuresLimitedError(blockedFor);
      }
      const webhook = await this.durably(() => this.webhooks.find(key));
      if (!webhook) throw new UnknownWebhookError();
      if (!signature && (head.contentLength ?? 0) > MAX_HANDSHAKE_BYTES) {
        // Cached credentials are enough here: the URL led somewhere when they were read, and a stale
        // entry only turns this 401 into the 404 a re-read might give; nothing is written.
        throw webhook.credentials.legacy ? new UnknownWebhookError() : new BadSignatureError();
      }
      return webhook;
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
    const { raw, signature, correlationId } = request;
    let webhook = request.webhook;
    let signed = this.signedFor(webhook, raw, signature);
    // A cached token may be older than the one Notion now signs with: ask the database before refusing.
    if (!signed && webhook.cached) {
      webhook = await this.reread(webhook.key);
      signed = this.signedFor(webhook, raw, signature);
    }
    if (!signed) {
      if (webhook.credentials.legacy) throw new UnknownWebhookError();
      const handshake = readHandshake(raw);
      if (!handshake) throw new BadSignatureError();
      return this.handshake(webhook, handshake, correlationId);
    }

    const body = parseWebhookBody(raw);
    if (body.kind === 'handshake') {
      return this.handshake(webhook.cached ? await this.reread(webhook.key) : webhook, body.handshake, correlationId);
    }
    if (body.kind === 'malformed') throw new MalformedWebhookError(body.reason);
    for (let attempt = 1; ; attempt++) {
      const { credentials } = webhook;
      const recorded = await this.durably(() =>
        this.inbox.recordIf(
          this.projects.webhookStillCurrent(credentials),
          credentials.projectId,
          body.event,
          body.payload,
          correlationId,
        ),
      );
      if (recorded) return this.stored(webhook, recorded, body.event.type, correlationId);
      // The URL or the token changed since the credentials were read (a reset, a handshake, a new
      // secret): nothing was stored. Judge the event again under what the project has now.
      if (attempt === RECORD_ATTEMPTS) throw new InboxUnavailableError();
      webhook = await this.reread(webhook.key);
      if (!this.signedFor(webhook, raw, signature)) {
        throw webhook.credentials.legacy ? new UnknownWebhookError() : new BadSignatureError();
      }
    }
  }

  /** An event is in the inbox: verify the webhook if this was its first signed event, and signal it. */
  private async stored(
    webhook: FoundWebhook,
    { deliveryId, duplicate }: RecordedDelivery,
    type: string,
    correlationId: string,
  ): Promise<IntakeOutcome> {
    const { projectId, status, tokenVersion } = webhook.credentials;
    if (status === WebhookStatus.AwaitingVerification && tokenVersion) {
      // A correctly signed event proves the token is in Notion.
      await this.durably(() => this.projects.markWebhookVerifiedBySignedEvent(projectId, tokenVersion));
      this.webhooks.verified(webhook);
    }
    if (!duplicate) {
      // After the commit, fire and forget: if the signal is lost the relay dispatches it.
      this.signals.received({ deliveryId, projectId, correlationId });
    }
    this.logger.log({ msg: duplicate ? 'Redelivery ignored' : 'Delivery stored', deliveryId, type, correlationId });
    return { kind: 'event', deliveryId, duplicate };
  }

  /** Whether the body is signed with the webhook's token. */
  private signedFor(webhook: FoundWebhook, raw: Buffer, signature: string | undefined): boolean {
    const token = webhook.credentials.verificationToken;
    return signature !== undefined && token !== undefined && verifyNotionSignature(raw, signature, token);
  }

  /** The webhook as the database has it now; 404 when its URL leads nowhere any more (a reset). */
  private async reread(key: string): Promise<FoundWebhook> {
    const webhook = await this.durably(() => this.webhooks.reread(key));
    if (!webhook) throw new UnknownWebhookError();
    return webhook;
  }

  /**
   * Notion's handshake, signed or not (reports differ on whether Notion signs
   * it): stored while the webhook is pending, a few per minute; 409 once verified.
   */
  private async handshake(
    webhook: FoundWebhook,
    handshake: NotionHandshake,
    correlationId: string,
  ): Promise<IntakeOutcome> {
    const { projectId } = webhook.credentials;
    try {
      await this.durably(() => this.projects.acceptHandshake(projectId, handshake.verificationToken));
    } finally {
      // A new token, or a refusal that says the kept status is out of date.
      this.webhooks.forget(webhook.key);
    }
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

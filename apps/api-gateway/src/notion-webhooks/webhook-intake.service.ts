import {
  HttpException,
  HttpStatus,
  Injectable,
  Logger,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { BusEvent, DomainError, ErrorCode } from '@app/contracts';
import { InboxService } from '@app/inbox';
import { EventBus } from '@app/messaging';
import { parseWebhookBody, verifyNotionSignature } from '@app/notion';
import { Metrics, type DeliveryRejection } from '@app/observability';
import { ProjectsService, WebhookStatus } from '@app/projects';

/** Seconds Notion is asked to wait before retrying when we cannot commit. */
export const RETRY_AFTER_SECONDS = 5;

export class InboxUnavailableError extends HttpException {
  constructor() {
    super('The event could not be stored right now; retry later', HttpStatus.SERVICE_UNAVAILABLE);
  }
}

export class MalformedWebhookError extends HttpException {
  constructor(reason: string) {
    super(reason, HttpStatus.BAD_REQUEST);
  }
}

export type IntakeOutcome =
  { readonly kind: 'handshake' } | { readonly kind: 'event'; readonly deliveryId: string; readonly duplicate: boolean };

/** The metric label for an error `judge` threw. */
function rejectionOf(err: unknown): DeliveryRejection {
  if (err instanceof NotFoundException) return 'unknown_project';
  if (err instanceof UnauthorizedException) return 'bad_signature';
  if (err instanceof MalformedWebhookError) return 'malformed';
  if (err instanceof InboxUnavailableError) return 'unavailable';
  if (err instanceof DomainError && err.code === ErrorCode.WebhookAlreadyVerified) return 'handshake_refused';
  return 'error';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Judges one webhook request in the order the contract fixes: unknown project
 * (404), signature (401), malformed JSON (400); then stores it durably and
 * only then lets the caller answer 200. Postgres trouble becomes a 503, never
 * a 2xx, so Notion retries.
 */
@Injectable()
export class WebhookIntakeService {
  private readonly logger = new Logger(WebhookIntakeService.name);

  constructor(
    private readonly projects: ProjectsService,
    private readonly inbox: InboxService,
    private readonly bus: EventBus,
    private readonly metrics: Metrics,
  ) {}

  /** Judges and stores one request (see `judge`), counting its outcome in `deliveries_total`. */
  async receive(
    projectId: string,
    raw: Buffer,
    signature: string | undefined,
    correlationId: string,
  ): Promise<IntakeOutcome> {
    try {
      const outcome = await this.judge(projectId, raw, signature, correlationId);
      if (outcome.kind === 'handshake') this.metrics.delivery('handshake');
      else this.metrics.delivery(outcome.duplicate ? 'duplicate' : 'accepted');
      return outcome;
    } catch (err) {
      this.metrics.delivery('rejected', rejectionOf(err));
      throw err;
    }
  }

  private async judge(
    projectId: string,
    raw: Buffer,
    signature: string | undefined,
    correlationId: string,
  ): Promise<IntakeOutcome> {
    if (!UUID.test(projectId)) throw new NotFoundException('No such webhook');
    const credentials = await this.durably(() => this.projects.webhookCredentials(projectId));
    if (!credentials) throw new NotFoundException('No such webhook');

    const signed =
      credentials.verificationToken !== undefined &&
      (await verifyNotionSignature(raw, signature, credentials.verificationToken));
    const body = parseWebhookBody(raw);

    if (body.kind === 'handshake') {
      // Accepted signed or not (reports differ on whether Notion signs it), but
      // only while no token is verified: acceptHandshake refuses otherwise (409).
      await this.durably(() => this.projects.acceptHandshake(projectId, body.handshake.verificationToken));
      this.logger.log({ msg: 'Webhook handshake stored; awaiting confirmation', projectId, correlationId });
      return { kind: 'handshake' };
    }
    if (!signed) throw new UnauthorizedException('Missing or invalid X-Notion-Signature');
    if (body.kind === 'malformed') throw new MalformedWebhookError(body.reason);

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

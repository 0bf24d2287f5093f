import { Injectable } from '@nestjs/common';
import { ProjectsService, WebhookStatus, type WebhookCredentials } from '@app/projects';
import { UUID_PATTERN } from '../http/text-rules.js';

/** Webhooks kept at most; past it the least recently used goes first. */
export const MAX_CACHED_WEBHOOKS = 10_000;

/** A webhook found for a URL: where its credentials came from says whether they may be stale. */
export interface FoundWebhook {
  /** The URL's last segment: a secret key, or a project id at a legacy URL. */
  readonly key: string;
  readonly credentials: WebhookCredentials;
  /** True when read from the cache: they may be stale, and any doubt is settled by a re-read. */
  readonly cached: boolean;
}

/**
 * The webhook credentials of the URLs this gateway served, decrypted (the
 * lookup and the AES open cost about half of an intake request when made per
 * request). Never trusted alone: an event is stored only by
 * `InboxService.recordIf` under `ProjectsService.webhookStillCurrent`, a
 * condition on the project's row in the insert itself, so a reset or a new
 * token makes a stale entry's insert a no-op and the intake re-reads, on
 * every replica, with no invalidation message. A signature that fails under
 * a cached token, or a handshake, re-reads too.
 *
 * Only URLs that lead to a webhook are kept: an unknown key is never cached
 * (it costs one indexed query, as before, and a malformed one none), so
 * strangers cannot grow this; it is bounded anyway, least recently used first.
 */
@Injectable()
export class WebhookCredentialsCache {
  private readonly entries = new Map<string, WebhookCredentials>();

  constructor(private readonly projects: ProjectsService) {}

  /** The cached credentials for this URL, else read (and kept when found); undefined when none. */
  async find(key: string): Promise<FoundWebhook | undefined> {
    const credentials = this.entries.get(key);
    if (!credentials) return this.reread(key);
    // Map order is insertion order: moving the entry to the end makes the first one the least recently used.
    this.entries.delete(key);
    this.entries.set(key, credentials);
    return { key, credentials, cached: true };
  }

  /** Reads the credentials from the database, replacing (or dropping) what was kept. */
  async reread(key: string): Promise<FoundWebhook | undefined> {
    this.entries.delete(key);
    const credentials = await (UUID_PATTERN.test(key)
      ? this.projects.legacyWebhookCredentials(key)
      : this.projects.webhookCredentials(key));
    if (!credentials) return undefined;
    this.entries.set(key, credentials);
    if (this.entries.size > MAX_CACHED_WEBHOOKS) this.entries.delete(this.entries.keys().next().value!);
    return { key, credentials, cached: false };
  }

  /** A correctly signed event verified the webhook: later events need not try again. */
  verified(webhook: FoundWebhook): void {
    if (this.entries.get(webhook.key) !== webhook.credentials) return;
    this.entries.set(webhook.key, { ...webhook.credentials, status: WebhookStatus.Verified });
  }

  /** Drops the entry (after this gateway changed the webhook: a handshake stored a new token). */
  forget(key: string): void {
    this.entries.delete(key);
  }

  /** How many webhooks are kept (for tests). */
  get size(): number {
    return this.entries.size;
  }

  /** Whether this URL's credentials are kept (for tests). */
  has(key: string): boolean {
    return this.entries.has(key);
  }
}

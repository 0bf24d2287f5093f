import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { InFlightBatcher, type SqlCondition } from '@app/database';
import { KeysetCursorCodec } from './keyset-cursor.js';
import { normalizeNotionDatabaseId } from '@app/notion';
import { normalizeProjectName, WebhookStatus, type ProjectView } from './project.js';
import type { ProjectEntity } from './project.entity.js';
import { ProjectHooks } from './project-hooks.js';
import {
  InvalidCursorError,
  InvalidNotionDatabaseIdError,
  ProjectNotFoundError,
  WebhookAlreadyVerifiedError,
  WebhookHandshakeLimitedError,
  WebhookTokenMissingError,
} from './projects.errors.js';
import { ProjectsRepository, webhookStillCurrent, type WebhookRow } from './projects.repository.js';
import { SecretBox, type SealedSecret } from './secret-box.js';
import { isWebhookKey, mintWebhookKey, webhookKeyHash } from './webhook-key.js';

export interface CreateProjectInput {
  readonly name: string;
  readonly notionDatabaseId: string;
  readonly notionToken: string;
  readonly notionWebhookSecret?: string;
  /** Mirror page bodies; default true. */
  readonly syncContent?: boolean;
}

export interface UpdateProjectInput {
  readonly name?: string;
  readonly notionToken?: string;
  readonly notionWebhookSecret?: string;
  readonly syncContent?: boolean;
}

/** A project just created, with the key of its webhook URL: shown to its owner in the create answer. */
export interface NewProject {
  readonly project: ProjectView;
  readonly webhookKey: string;
}

/** What the webhook intake needs to judge a request. Never returned to clients. */
export interface WebhookCredentials {
  readonly projectId: string;
  readonly status: WebhookStatus;
  /** Reached at the URL that carries the project id (verified before secret URLs): signed events only. */
  readonly legacy: boolean;
  /** Notion's verification token, the HMAC key of signed events; absent until the handshake. */
  readonly verificationToken?: string;
  /** Identifies which stored token `verificationToken` is (opaque). */
  readonly tokenVersion?: Buffer;
  /** What the URL's key is stored as; absent at a legacy URL. */
  readonly keyHash?: Buffer;
}

/** The owner's view of the webhook: the token is shown only while unconfirmed. */
export interface WebhookSetup {
  readonly status: WebhookStatus;
  readonly verificationToken: string | null;
}

/** Where Notion must deliver: the key of the secret URL, or the project id for a legacy URL. */
export interface WebhookEndpoint extends WebhookSetup {
  /** The secret key of the URL; null while the project still uses its legacy URL. */
  readonly key: string | null;
  readonly legacy: boolean;
}

/** A project's Notion database and integration token. Holds a secret: never log or return it. */
export interface NotionBinding {
  readonly notionDatabaseId: string;
  readonly notionToken: string;
  /** Mirror page bodies (read with the binding each time: it is not part of what is kept). */
  readonly syncContent: boolean;
}

/** Projects whose Notion binding a process keeps decrypted (`notionBindingNow`); past it the oldest goes. */
const MAX_KEPT_BINDINGS = 10_000;

/** Handshakes accepted per webhook per minute: Notion sends one per subscription it creates. */
export const WEBHOOK_HANDSHAKES_PER_MINUTE = 5;

export interface ProjectPage {
  readonly items: ProjectView[];
  readonly nextCursor: string | null;
}

@Injectable()
export class ProjectsService {
  /** Decrypted bindings by project, with the ciphertext they came from (see `notionBindingNow`). */
  private readonly bindings = new Map<string, { ciphertext: Buffer; binding: NotionBinding }>();
  /** Page jobs' binding reads, one query for those asked for while one runs. */
  private readonly bindingReads = new InFlightBatcher((ids: readonly string[]) => this.readBindings(ids), {
    max: 100,
  });

  constructor(
    private readonly projects: ProjectsRepository,
    private readonly secrets: SecretBox,
    private readonly cursors: KeysetCursorCodec,
    private readonly config: AppConfig,
    private readonly hooks: ProjectHooks,
  ) {}

  async create(ownerId: string, input: CreateProjectInput): Promise<NewProject> {
    const id = randomUUID();
    const token = this.secrets.seal(input.notionToken, { projectId: id, purpose: 'notion-token' });
    const webhook = input.notionWebhookSecret
      ? this.secrets.seal(input.notionWebhookSecret, { projectId: id, purpose: 'webhook-token' })
      : null;
    const webhookKey = mintWebhookKey();
    const row = await this.projects.insert(
      {
        id,
        ownerId,
        name: this.name(input.name),
        notionDatabaseId: this.databaseId(input.notionDatabaseId),
        notionTokenCiphertext: token.ciphertext,
        notionTokenKeyId: token.keyId,
        webhookTokenCiphertext: webhook?.ciphertext ?? null,
        webhookTokenKeyId: webhook?.keyId ?? null,
        // A user who already holds the verification token has verified the subscription.
        webhookStatus: webhook ? WebhookStatus.Verified : WebhookStatus.AwaitingHandshake,
        syncContent: input.syncContent ?? true,
        ...this.sealedKey(id, webhookKey),
      },
      this.config.projects.perUserLimit,
      (manager) => this.hooks.created(id, manager),
    );
    return { project: toView(row), webhookKey };
  }

  async list(ownerId: string, limit: number, cursor?: string): Promise<ProjectPage> {
    const after = cursor === undefined ? undefined : this.cursors.decode(cursor, ownerId);
    if (cursor !== undefined && !after) throw new InvalidCursorError();
    const rows = await this.projects.listOwned(ownerId, limit + 1, after);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(({ row }) => toView(row)),
      nextCursor: rows.length > limit && last ? this.cursors.encode(last.position, ownerId) : null,
    };
  }

  async get(ownerId: string, id: string): Promise<ProjectView> {
    return toView(await this.owned(ownerId, id));
  }

  async update(ownerId: string, id: string, input: UpdateProjectInput): Promise<ProjectView> {
    const patch: Parameters<ProjectsRepository['updateOwned']>[2] = {};
    if (input.name !== undefined) patch.name = this.name(input.name);
    if (input.syncContent !== undefined) patch.syncContent = input.syncContent;
    if (input.notionToken !== undefined) {
      const token = this.secrets.seal(input.notionToken, { projectId: id, purpose: 'notion-token' });
      Object.assign(patch, { notionTokenCiphertext: token.ciphertext, notionTokenKeyId: token.keyId });
    }
    if (input.notionWebhookSecret !== undefined) {
      const webhook = this.secrets.seal(input.notionWebhookSecret, { projectId: id, purpose: 'webhook-token' });
      Object.assign(patch, {
        webhookTokenCiphertext: webhook.ciphertext,
        webhookTokenKeyId: webhook.keyId,
        webhookStatus: WebhookStatus.Verified,
      });
    }
    const row = await this.projects.transaction(async (projects, manager) => {
      // Bodies turned on (not merely left on) want the backfill a full sync ends with.
      const turningOn = input.syncContent === true && (await projects.findOwned(ownerId, id))?.syncContent === false;
      const updated = Object.keys(patch).length
        ? await projects.updateOwned(ownerId, id, patch)
        : await projects.findOwned(ownerId, id);
      if (!updated) return updated;
      // A new token may see more (or less): a full sync under it is requested in the same transaction,
      // and the answer says so (`queued`). Bodies turned on are fetched by the backfill that ends a full sync.
      if (input.notionToken === undefined && !turningOn) return updated;
      if (input.notionToken !== undefined) await this.hooks.notionTokenChanged(id, manager);
      if (turningOn) await this.hooks.contentSyncEnabled(id, manager);
      return projects.findOwned(ownerId, id);
    });
    if (!row) throw new ProjectNotFoundError();
    return toView(row);
  }

  /** Which of `ids` still exist (live streams end when their project is deleted); not owner-scoped. */
  existing(ids: readonly string[]): Promise<Set<string>> {
    return ids.length ? this.projects.existing(ids) : Promise.resolve(new Set());
  }

  async remove(ownerId: string, id: string): Promise<void> {
    if (!(await this.projects.deleteOwned(ownerId, id))) throw new ProjectNotFoundError();
  }

  /**
   * What a sync job needs to reach the project's database in Notion, with the
   * decrypted token (never log or return it); undefined once the project is
   * deleted. Not owner-scoped: jobs act for the system. Read as
   * `notionBindingNow` reads it (kept per project, exact).
   */
  async notionBinding(projectId: string): Promise<NotionBinding | undefined> {
    return (await this.notionBindingNow(projectId))?.binding;
  }

  /**
   * The project's binding as of now, with the database clock read in the same
   * round trip (a page job's fetch start), or undefined once the project was
   * deleted. Bindings are kept decrypted per project and are exact: each call
   * asks whether the stored token is still the one kept (a new token or a
   * re-seal by `secrets:rotate` changes its ciphertext, on any replica), and
   * a changed one comes back in the same answer. So a page job costs one
   * indexed read here, with no entity mapping and no AES open, and reads asked
   * for while one runs share the next query (each clock is still read before
   * its job's request to Notion leaves).
   */
  notionBindingNow(projectId: string): Promise<{ binding: NotionBinding; clock: Date } | undefined> {
    return this.bindingReads.submit(projectId);
  }

  /** One query for the bindings asked for while the previous query ran (see `notionBindingNow`). */
  private async readBindings(
    projectIds: readonly string[],
  ): Promise<Array<{ binding: NotionBinding; clock: Date } | undefined>> {
    const kept = projectIds.map((id) => this.bindings.get(id));
    const found = await this.projects.syncBindings(
      projectIds.map((id, i) => ({ id, knownCiphertext: kept[i]?.ciphertext ?? null })),
    );
    return projectIds.map((projectId, i) => {
      const row = found[i];
      if (!row) {
        this.bindings.delete(projectId);
        return undefined;
      }
      if (row.current) return { binding: { ...kept[i]!.binding, syncContent: row.syncContent }, clock: row.now };
      const binding = {
        notionDatabaseId: row.notionDatabaseId,
        notionToken: this.secrets.open(row.notionToken, { projectId, purpose: 'notion-token' }),
        syncContent: row.syncContent,
      };
      this.bindings.delete(projectId);
      this.bindings.set(projectId, { ciphertext: row.notionToken.ciphertext, binding });
      // Map order is insertion order: the first entry is the one re-read longest ago.
      if (this.bindings.size > MAX_KEPT_BINDINGS) this.bindings.delete(this.bindings.keys().next().value!);
      return { binding, clock: row.now };
    });
  }

  /** The decrypted integration token, for the code that calls Notion. Never returned by the API. */
  async revealNotionToken(ownerId: string, id: string): Promise<string> {
    return this.openNotionToken(await this.owned(ownerId, id));
  }

  private openNotionToken(row: ProjectEntity): string {
    return this.secrets.open(
      { keyId: row.notionTokenKeyId, ciphertext: row.notionTokenCiphertext },
      { projectId: row.id, purpose: 'notion-token' },
    );
  }

  /** For the public webhook route (no user): the webhook whose URL carries `key`, or undefined. */
  async webhookCredentials(key: string): Promise<WebhookCredentials | undefined> {
    if (!isWebhookKey(key)) return undefined;
    const keyHash = webhookKeyHash(key);
    const row = await this.projects.findWebhookByKeyHash(keyHash);
    return row ? { ...this.credentials(row, false), keyHash } : undefined;
  }

  /**
   * For the URL that carries the project id, kept only for webhooks verified
   * before secret URLs existed (none can be taken over once verified): their
   * credentials, or undefined for every other project.
   */
  async legacyWebhookCredentials(projectId: string): Promise<WebhookCredentials | undefined> {
    const row = await this.projects.findById(projectId);
    if (!row?.webhookLegacyUrl || row.webhookStatus !== WebhookStatus.Verified) return undefined;
    return this.credentials(row, true);
  }

  /**
   * A condition (for a statement on another table) that holds while these
   * credentials are still the project's: the same URL and the same token. A
   * reset (new key, legacy URL dropped) or a new token makes it false, so a
   * write under cached credentials can be made exact: see
   * `InboxService.recordIf`.
   */
  webhookStillCurrent(credentials: WebhookCredentials): SqlCondition {
    return webhookStillCurrent(credentials);
  }

  /**
   * Stores the token of Notion's handshake (a newer one replaces a pending one)
   * and waits for the owner to confirm; at most a few per minute. Refused once
   * verified: whoever holds the URL must not be able to replace a working token.
   */
  async acceptHandshake(projectId: string, verificationToken: string): Promise<void> {
    const sealed = this.secrets.seal(verificationToken, { projectId: projectId, purpose: 'webhook-token' });
    const result = await this.projects.storeHandshake(projectId, sealed, WEBHOOK_HANDSHAKES_PER_MINUTE);
    if (result.outcome === 'stored') return;
    if (result.outcome === 'limited') throw new WebhookHandshakeLimitedError(result.retryAfterSeconds);
    if (result.outcome === 'verified') throw new WebhookAlreadyVerifiedError();
    throw new ProjectNotFoundError();
  }

  /**
   * The first correctly signed event proves the owner pasted the token into
   * Notion: only the token that signed it (`tokenVersion`), so a handshake that
   * replaced it meanwhile is not verified by an event signed with the old one.
   */
  async markWebhookVerifiedBySignedEvent(projectId: string, tokenVersion: Buffer): Promise<void> {
    await this.projects.updateWebhookIf(
      projectId,
      { statuses: [WebhookStatus.AwaitingVerification], tokenCiphertext: tokenVersion },
      { webhookStatus: WebhookStatus.Verified },
    );
  }

  /**
   * The owner's view of the webhook, with where Notion must deliver. A project
   * created before secret URLs, and not on its legacy URL, gets its key now.
   */
  async webhookSetup(ownerId: string, id: string): Promise<WebhookEndpoint> {
    let row = await this.owned(ownerId, id);
    if (!row.webhookLegacyUrl && !row.webhookKeyCiphertext) {
      const key = mintWebhookKey();
      // Only if still missing: two first reads at once must not hand out two keys.
      await this.projects.updateWebhookIf(
        id,
        { statuses: Object.values(WebhookStatus), ownerId, keyMissing: true },
        this.sealedKey(id, key),
      );
      row = await this.owned(ownerId, id);
    }
    const verified = row.webhookStatus === WebhookStatus.Verified;
    return {
      status: row.webhookStatus,
      verificationToken: verified ? null : (this.webhookToken(row) ?? null),
      key: row.webhookLegacyUrl ? null : this.webhookKey(row),
      legacy: row.webhookLegacyUrl,
    };
  }

  /** The owner says the token is in Notion. */
  async confirmWebhook(ownerId: string, id: string): Promise<WebhookSetup> {
    const row = await this.owned(ownerId, id);
    if (row.webhookStatus === WebhookStatus.AwaitingHandshake) throw new WebhookTokenMissingError();
    await this.projects.updateWebhookIf(
      id,
      { statuses: [WebhookStatus.AwaitingVerification], ownerId },
      { webhookStatus: WebhookStatus.Verified },
    );
    return { status: WebhookStatus.Verified, verificationToken: null };
  }

  /**
   * Forgets the token so the owner can subscribe again, at a new secret URL:
   * the old key (or the legacy URL) stops working at once.
   */
  async resetWebhook(ownerId: string, id: string): Promise<WebhookSetup> {
    const reset = await this.projects.updateWebhookIf(
      id,
      { statuses: Object.values(WebhookStatus), ownerId },
      {
        webhookTokenCiphertext: null,
        webhookTokenKeyId: null,
        webhookStatus: WebhookStatus.AwaitingHandshake,
        webhookLegacyUrl: false,
        ...this.sealedKey(id, mintWebhookKey()),
      },
    );
    if (!reset) throw new ProjectNotFoundError();
    return { status: WebhookStatus.AwaitingHandshake, verificationToken: null };
  }

  private credentials(row: WebhookRow, legacy: boolean): WebhookCredentials {
    return {
      projectId: row.id,
      status: row.webhookStatus,
      legacy,
      verificationToken: this.webhookToken(row),
      tokenVersion: row.webhookTokenCiphertext ?? undefined,
    };
  }

  /** The columns that hold a webhook key: sealed (to show it to the owner) and hashed (to find it). */
  private sealedKey(
    projectId: string,
    key: string,
  ): Pick<ProjectEntity, 'webhookKeyCiphertext' | 'webhookKeyKeyId' | 'webhookKeyHash'> {
    const sealed: SealedSecret = this.secrets.seal(key, { projectId: projectId, purpose: 'webhook-key' });
    return {
      webhookKeyCiphertext: sealed.ciphertext,
      webhookKeyKeyId: sealed.keyId,
      webhookKeyHash: webhookKeyHash(key),
    };
  }

  private webhookKey(row: ProjectEntity): string | null {
    if (!row.webhookKeyCiphertext || !row.webhookKeyKeyId) return null;
    return this.secrets.open(
      { keyId: row.webhookKeyKeyId, ciphertext: row.webhookKeyCiphertext },
      { projectId: row.id, purpose: 'webhook-key' },
    );
  }

  private webhookToken(
    row: Pick<ProjectEntity, 'id' | 'webhookTokenCiphertext' | 'webhookTokenKeyId'>,
  ): string | undefined {
    if (!row.webhookTokenCiphertext || !row.webhookTokenKeyId) return undefined;
    return this.secrets.open(
      { keyId: row.webhookTokenKeyId, ciphertext: row.webhookTokenCiphertext },
      { projectId: row.id, purpose: 'webhook-token' },
    );
  }

  private async owned(ownerId: string, id: string): Promise<ProjectEntity> {
    const row = await this.projects.findOwned(ownerId, id);
    if (!row) throw new ProjectNotFoundError();
    return row;
  }

  private name(name: string): string {
    const normalized = normalizeProjectName(name);
    // The DTO already checks this; the domain keeps its own invariant.
    if (normalized === undefined) throw new RangeError('A project name has 1 to 100 characters');
    return normalized;
  }

  private databaseId(input: string): string {
    const normalized = normalizeNotionDatabaseId(input);
    if (!normalized) throw new InvalidNotionDatabaseIdError();
    return normalized;
  }
}

function toView(row: ProjectEntity): ProjectView {
  return {
    id: row.id,
    name: row.name,
    notionDatabaseId: row.notionDatabaseId,
    webhookStatus: row.webhookStatus,
    syncContent: row.syncContent,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

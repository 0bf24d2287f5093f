/** Where a project's Notion webhook subscription stands. Stored values: a wire format. */
export enum WebhookStatus {
  /** No verification token yet: Notion has not called the webhook URL. */
  AwaitingHandshake = 'awaiting_handshake',
  /** Notion's verification token is held; the owner has not confirmed it in Notion yet. */
  AwaitingVerification = 'awaiting_verification',
  /** Signed events are expected and checked against the held token. */
  Verified = 'verified',
}

/** Where a project's mirror stands. Stored values: a wire format. */
export enum SyncStatus {
  Idle = 'idle',
  /** A full sync is running. */
  Syncing = 'syncing',
  /** The last sync failed for good; `lastError` says why in words. */
  Error = 'error',
}

export interface ProjectSyncView {
  readonly status: SyncStatus;
  /** When the last full or incremental sync completed. */
  readonly lastSyncedAt: Date | null;
  /** Live mirrored pages (tombstones not counted). */
  readonly pageCount: number;
  /** Human-readable, never a stack trace; null once a sync succeeds again. */
  readonly lastError: string | null;
}

/** A project as the rest of the system sees it: no secrets, no ORM types. */
export interface ProjectView {
  readonly id: string;
  readonly name: string;
  /** Dashed lowercase UUID. */
  readonly notionDatabaseId: string;
  readonly webhookStatus: WebhookStatus;
  readonly sync: ProjectSyncView;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export const PROJECT_NAME_MAX = 100;

// eslint-disable-next-line no-control-regex -- matching them is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Names are trimmed, 1 to 100 characters, with no control characters. */
export function normalizeProjectName(name: string): string | undefined {
  const trimmed = name.trim();
  return trimmed.length >= 1 && trimmed.length <= PROJECT_NAME_MAX && !CONTROL_CHARS.test(trimmed)
    ? trimmed
    : undefined;
}

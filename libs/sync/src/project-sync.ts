/**
 * Where a project's mirror stands, as the API shows it: a wire format.
 * `idle`, `syncing` and `error` are stored; `queued` is derived from the
 * request, start and failure times (see `ProjectSyncStore.views`), never stored.
 */
export enum SyncStatus {
  /** A sync completed (`lastSyncedAt`) and no full sync is asked for. */
  Idle = 'idle',
  /**
   * A full sync was asked for (creating the project, a new token, `POST .../sync`)
   * and has not started yet. A request while one runs shows `syncing`, then
   * `queued` until its own run starts.
   */
  Queued = 'queued',
  /** A full sync is running. */
  Syncing = 'syncing',
  /**
   * The last sync failed for good; `lastError` says why in words. A full sync
   * that failed, begun or not, ends `queued` for the requests before it; a new
   * request makes it `queued` again.
   */
  Error = 'error',
}

/** The values the stored status holds. */
export type StoredSyncStatus = Exclude<SyncStatus, SyncStatus.Queued>;

/** A project's sync state as the projects API shows it. */
export interface ProjectSyncView {
  readonly status: SyncStatus;
  /** When the last full or incremental sync completed. */
  readonly lastSyncedAt: Date | null;
  /** Live mirrored pages (tombstones not counted). */
  readonly pageCount: number;
  /** Human-readable, never a stack trace; null once a sync succeeds again (kept while `queued` for a retry). */
  readonly lastError: string | null;
  /** Live pages whose body is still to be fetched (missing, or older than their last edit); 0 with `syncContent` off. */
  readonly contentPending: number;
  /** Why bodies cannot be read (e.g. the integration lacks the read-content capability); properties sync on. */
  readonly contentError: string | null;
}

/**
 * The checkpoint of a full sync, stored on the project so that a run cut
 * short (crash, deploy, stalled job) resumes instead of starting over.
 */
export interface FullSyncRun {
  /** Database clock when the run began (exact ISO text): rows not seen since then are gone. */
  readonly startedAt: string;
  /** Data sources read to the end. */
  readonly done: readonly string[];
  /** The data source being read, and the `created_time` its next window starts at. */
  readonly current?: { readonly dataSourceId: string; readonly createdFrom: string };
}

/** A project's sync state as the engine works from it (no secret). */
export interface SyncState {
  readonly projectId: string;
  readonly watermark: Date | null;
  readonly run: FullSyncRun | null;
  /** The latest full-sync request (creation, new token, POST /sync). */
  readonly requestedAt: Date | null;
  /** Fingerprints of each data source's schema as the last sync saw it. */
  readonly schemas: Readonly<Record<string, string>>;
}

/** What a sync job needs to call Notion for a project. Holds a secret: never log or return it. */
export interface SyncTarget extends SyncState {
  readonly notionDatabaseId: string;
  readonly notionToken: string;
  readonly syncContent: boolean;
}

/** A project whose requested full sync was not handed to the queue yet. */
export interface SyncRequest {
  readonly projectId: string;
  /** Exact (microseconds) UTC text of `project_sync.requested_at`. */
  readonly requestedAt: string;
}

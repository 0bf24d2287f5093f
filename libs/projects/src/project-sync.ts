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

/** What a sync job needs to call Notion for a project. Holds a secret: never log or return it. */
export interface SyncTarget {
  readonly projectId: string;
  readonly notionDatabaseId: string;
  readonly notionToken: string;
  readonly watermark: Date | null;
  readonly run: FullSyncRun | null;
  /** The latest full-sync request (creation, new token, POST /sync). */
  readonly requestedAt: Date | null;
  /** Fingerprints of each data source's schema as the last sync saw it. */
  readonly schemas: Readonly<Record<string, string>>;
}

/** A project whose requested full sync was not handed to the queue yet. */
export interface SyncRequest {
  readonly projectId: string;
  /** Exact (microseconds) UTC text of `sync_requested_at`. */
  readonly requestedAt: string;
}

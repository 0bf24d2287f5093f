import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import {
  isFullPage,
  iterateAllDataSourceRows,
  type Client,
  type FullDataSourceQueryFilter,
  type PageObjectResponse,
  type QueryDataSourceParameters,
} from '@notionhq/client';
import { AppConfig } from '@app/config';
import { InboxService } from '@app/inbox';
import { classifyNotionError, NotionClientFactory } from '@app/notion';
import { Metrics } from '@app/observability';
import { ProjectsService, type NotionBinding } from '@app/projects';
import type { DataSourceSchema } from '@app/contracts';
import { toDataSourceSchema } from './data-source-schema.js';
import { DataSourceSchemaStore } from './data-source-schema.store.js';
import { FileUrlCache } from './files/file-url-cache.js';
import { FullSyncLock } from './full-sync-lock.js';
import type { MirrorRow } from './mirror-row.js';
import { MirrorWriter } from './mirror.writer.js';
import { isInDatabase, toMirrorRow, truncatedProperties } from './page-row.js';
import type { FullSyncRun, SyncState, SyncTarget } from './project-sync.js';
import { ProjectSyncStore } from './project-sync.store.js';

/** Rows per mirror write during full and incremental syncs (one Notion query page). */
const BATCH = 100;
/** Notion rounds last_edited_time down to the minute: incremental windows overlap by two. */
const INCREMENTAL_OVERLAP_MS = 2 * 60_000;
/**
 * How long a full sync waits before it tries again the lock of a run that
 * cannot see its request. A try is one connection and one query; a run lasts
 * from seconds to hours, so the request's run starts at most this long after
 * the running one ends.
 */
const BUSY_RETRY_MS = 10_000;

/**
 * Another full sync of the project holds its lock and began before the latest
 * request, so it cannot see that request: this job must run after it, not step
 * aside. The processor delays the job by `retryAfterMs` (no attempt spent).
 */
export class FullSyncBusyError extends Error {
  constructor(readonly retryAfterMs: number) {
    super('A full sync that began before the latest request is running; trying again after it');
    this.name = 'FullSyncBusyError';
  }
}

/** A data source as a run read it: its id, a fingerprint of its schema, and the schema. */
interface DataSourceRead {
  readonly id: string;
  readonly schema: string;
  readonly shape: DataSourceSchema;
}

const hasComputedValues = (shape: DataSourceSchema) =>
  shape.properties.some((p) => p.type === 'formula' || p.type === 'rollup');

export interface SyncOutcome {
  /** Deliveries this run covered and marked processed. */
  readonly processedDeliveries: number;
  readonly pagesWritten?: number;
  readonly tombstoned?: number;
  /** Why the job did nothing (the project was deleted, another run holds the lock...). */
  readonly skipped?: string;
  /**
   * The project is gone. The engine leaves its job schedulers to the caller
   * (they belong to the queue, not to the sync domain), which removes them.
   */
  readonly projectDeleted?: true;
  /** A page job inserted its page and the project syncs bodies: the caller adds the page's content job. */
  readonly contentWanted?: true;
  /** A full or incremental sync ended and the project syncs bodies: the caller adds a content backfill. */
  readonly backfillWanted?: true;
}

const PROJECT_DELETED: SyncOutcome = { processedDeliveries: 0, skipped: 'project deleted', projectDeleted: true };

type Filter = FullDataSourceQueryFilter | undefined;

/**
 * The sync engine: one page (webhooks), pages edited since the watermark
 * (incremental), and every page (full). Every write goes through
 * `MirrorWriter`, which keeps the newest state whatever order fetches finish
 * in; so all of this is idempotent and safe to run twice or concurrently.
 * Notion errors are thrown as they come; the processor sorts them.
 */
@Injectable()
export class SyncEngine {
  private readonly logger = new Logger(SyncEngine.name);

  constructor(
    private readonly config: AppConfig,
    private readonly store: ProjectSyncStore,
    private readonly projects: ProjectsService,
    private readonly mirror: MirrorWriter,
    private readonly notion: NotionClientFactory,
    private readonly inbox: InboxService,
    private readonly fullSyncLock: FullSyncLock,
    private readonly metrics: Metrics,
    private readonly schemas: DataSourceSchemaStore,
    private readonly files: FileUrlCache,
  ) {}

  /** Fetches one page and mirrors it, or tombstones it when it is gone from the database. */
  async syncPage(projectId: string, pageId: string, correlationId: string): Promise<SyncOutcome> {
    // The binding (kept per project, exact) and the fetch start in one round
    // trip: read before the request leaves, so deliveries received until now
    // are covered, and the mirror orders this write by it.
    const bound = await this.projects.notionBindingNow(projectId);
    if (!bound) return PROJECT_DELETED;
    const { binding, clock: fetchStartedAt } = bound;
    const client = this.notion.forToken(binding.notionToken);
    let row: MirrorRow | undefined;
    try {
      const found = await client.pages.retrieve({ page_id: pageId });
      if (isFullPage(found) && isInDatabase(found, binding.notionDatabaseId)) {
        row = toMirrorRow(found, await this.completeProperties(client, found));
      }
    } catch (err) {
      // 404 (from the page or its property endpoint): deleted for good, or no
      // longer shared with the integration.
      if (classifyNotionError(err, { object: 'page' }).kind !== 'not_shared') throw err;
    }
    // Written or tombstoned, and the page's deliveries marked processed, in one commit.
    const write = await this.mirror.writePage(projectId, pageId, row, fetchStartedAt);
    if (write.projectDeleted) return PROJECT_DELETED;
    this.metrics.webhookLag(write.lagSeconds);
    if (row?.files?.length) await this.files.save(projectId, pageId, 'page', row.files, fetchStartedAt);
    const written = write.written ? 1 : 0;
    const tombstoned = write.tombstoned ? 1 : 0;
    this.logger.log({ msg: 'Page synced', projectId, pageId, written, tombstoned, correlationId });
    return {
      processedDeliveries: write.lagSeconds.length,
      pagesWritten: written,
      tombstoned,
      ...(write.inserted && binding.syncContent && { contentWanted: true as const }),
    };
  }

  /**
   * Pages edited since the watermark less two minutes, in every data source:
   * heals missed webhooks. A data source whose schema changed (a property
   * renamed, added or removed changes no page's `last_edited_time`) or that is
   * new is read whole; rows of data sources the database no longer holds get
   * tombstones. Before the first full sync completes there is no watermark;
   * that full sync reads everything, so this run has nothing to add.
   */
  async incremental(projectId: string, entityId: string, correlationId: string): Promise<SyncOutcome> {
    const target = await this.target(projectId);
    if (!target) return PROJECT_DELETED;
    const startedAt = await this.mirror.now();
    if (!target.watermark) {
      const processed = await this.inbox.markProcessedFor(projectId, entityId, startedAt);
      this.metrics.webhookLag(processed.map((d) => d.lagSeconds));
      return { processedDeliveries: processed.length, skipped: 'no full sync completed yet' };
    }
    const since = new Date(target.watermark.getTime() - INCREMENTAL_OVERLAP_MS).toISOString();
    const client = this.notion.forToken(target.notionToken);
    const sources = await this.dataSources(client, target);
    let written = 0;
    for (const { id, schema, shape } of sources) {
      // Formula and rollup values change with related pages, and Notion sends
      // no event for the page that shows them: a reconcile reads such a data source whole.
      const reshaped = target.schemas[id] !== schema || hasComputedValues(shape);
      written += await this.readDataSource(
        client,
        projectId,
        id,
        reshaped ? undefined : { timestamp: 'last_edited_time', last_edited_time: { on_or_after: since } },
      );
    }
    const tombstoned = await this.mirror.sweepDataSources(
      projectId,
      sources.map((d) => d.id),
      startedAt,
    );
    await this.saveSchemas(projectId, sources);
    await this.store.completed(projectId, startedAt, false);
    const processed = await this.inbox.markProcessedFor(projectId, entityId, startedAt);
    this.metrics.webhookLag(processed.map((d) => d.lagSeconds));
    this.logger.log({ msg: 'Incremental sync done', projectId, since, written, tombstoned, correlationId });
    return {
      processedDeliveries: processed.length,
      pagesWritten: written,
      tombstoned,
      // New or edited pages may want their bodies (the backfill finds which, from the mirror).
      ...(written > 0 && target.syncContent && { backfillWanted: true as const }),
    };
  }

  /**
   * Every page of every data source, then tombstones for rows the run did not
   * see. Resumes an interrupted run from its checkpoint (the data sources it
   * finished and the `created_time` its current one reached). When another
   * run holds the project's lock, this one steps aside if that run began after
   * the latest request (it covers every request so far), and otherwise throws
   * `FullSyncBusyError`: a request that run cannot see is never dropped.
   */
  async full(projectId: string, correlationId: string): Promise<SyncOutcome> {
    const lock = await this.fullSyncLock.tryAcquire(projectId);
    if (!lock) {
      // Scheduled jobs carry no deduplication id, so a request made while one
      // runs keeps no follow-up job: its own job is the only one left to run it.
      if (await this.store.requestedSinceStart(projectId)) throw new FullSyncBusyError(BUSY_RETRY_MS);
      return { processedDeliveries: 0, skipped: 'a full sync of this project is already running' };
    }
    try {
      // Status `syncing` from here: the requests made so far are this run's (no longer `queued`).
      const target = await this.target(projectId, { beginFullSync: true });
      if (!target) return PROJECT_DELETED;
      const client = this.notion.forToken(target.notionToken);
      const resumable = this.resumable(target);
      let run: FullSyncRun = resumable ?? { startedAt: (await this.mirror.now()).toISOString(), done: [] };
      const resumed = resumable !== undefined;
      await this.store.saveRun(projectId, run);
      this.logger.log({ msg: resumed ? 'Full sync resumed' : 'Full sync started', projectId, correlationId });
      let written = 0;
      const sources = await this.dataSources(client, target);
      for (const { id: dataSourceId } of sources) {
        if (run.done.includes(dataSourceId)) continue;
        const from = run.current?.dataSourceId === dataSourceId ? run.current.createdFrom : undefined;
        const filter: Filter = from ? { timestamp: 'created_time', created_time: { on_or_after: from } } : undefined;
        written += await this.readDataSource(client, projectId, dataSourceId, filter, async (createdFrom) => {
          run = { ...run, current: { dataSourceId, createdFrom } };
          await this.store.saveRun(projectId, run);
        });
        run = { startedAt: run.startedAt, done: [...run.done, dataSourceId] };
        await this.store.saveRun(projectId, run);
      }
      const startedAt = new Date(run.startedAt);
      const tombstoned = await this.mirror.sweep(projectId, startedAt);
      await this.saveSchemas(projectId, sources);
      await this.store.completed(projectId, startedAt, true);
      this.logger.log({ msg: 'Full sync done', projectId, written, tombstoned, correlationId });
      return {
        processedDeliveries: 0,
        pagesWritten: written,
        tombstoned,
        ...(target.syncContent && { backfillWanted: true as const }),
      };
    } finally {
      await lock.release();
    }
  }

  /**
   * The project's Notion binding with its sync state, or undefined once the
   * project was deleted. A lookup only: what a deleted project means for its
   * schedules is the caller's to decide (`projectDeleted`). With
   * `beginFullSync`, the run's start is stamped first and the binding read
   * after it, so the run works from every request the stamp took up (a new
   * token included).
   */
  private async target(projectId: string, { beginFullSync = false } = {}): Promise<SyncTarget | undefined> {
    let state: SyncState | undefined;
    let binding: NotionBinding | undefined;
    if (beginFullSync) {
      state = await this.store.beginFullSync(projectId);
      binding = state && (await this.projects.notionBinding(projectId));
    } else {
      [state, binding] = await Promise.all([this.store.state(projectId), this.projects.notionBinding(projectId)]);
    }
    return state && binding ? { ...state, ...binding } : undefined;
  }

  /**
   * A checkpoint worth resuming: left by a run that began after the latest
   * request (a new token or an explicit request wants a fresh look) and within
   * one full-sync interval (an older run's sweep would keep too much).
   */
  private resumable(target: SyncTarget): FullSyncRun | undefined {
    const run = target.run;
    if (!run) return undefined;
    const startedAt = new Date(run.startedAt).getTime();
    if (target.requestedAt && startedAt < target.requestedAt.getTime()) return undefined;
    if (Date.now() - startedAt > this.config.sync.fullIntervalSeconds * 1000) return undefined;
    return run;
  }

  /** The fingerprints the next reconcile compares with, and the schemas the API serves. */
  private async saveSchemas(projectId: string, sources: readonly DataSourceRead[]): Promise<void> {
    await this.store.saveSchemas(projectId, Object.fromEntries(sources.map((d) => [d.id, d.schema])));
    await this.schemas.save(
      projectId,
      sources.map((d) => d.shape),
    );
  }

  /**
   * The database's data sources (API 2025-09-03 and later: one database can
   * hold several), each with a fingerprint of its schema.
   */
  private async dataSources(client: Client, target: SyncTarget): Promise<DataSourceRead[]> {
    const database = await client.databases.retrieve({ database_id: target.notionDatabaseId });
    const ids = 'data_sources' in database ? database.data_sources.map((d) => d.id) : [];
    // Never a fact about Notion; refusing it keeps a full sync from sweeping the whole mirror.
    if (ids.length === 0) throw new Error(`Notion listed no data source in database ${target.notionDatabaseId}`);
    const sources = [];
    for (const id of ids) {
      const source = await client.dataSources.retrieve({ data_source_id: id });
      const properties = 'properties' in source ? Object.values(source.properties) : [];
      const fingerprint = properties.map((p) => `${p.id}\u0000${p.name}\u0000${p.type}`).sort();
      sources.push({
        id,
        schema: createHash('sha256').update(fingerprint.join('\u0001')).digest('base64url'),
        shape: toDataSourceSchema(source as unknown as Record<string, unknown>),
      });
    }
    return sources;
  }

  /**
   * Reads a data source through the SDK's `iterateAllDataSourceRows` (it walks
   * `created_time` windows past the 10,000-row cap of one query) and writes
   * the rows in batches. Each batch is ordered in the mirror by the start of
   * the oldest Notion request that returned one of its rows. Calls
   * `checkpoint(createdTime)` after each batch with where a resumed read may start.
   */
  private async readDataSource(
    client: Client,
    projectId: string,
    dataSourceId: string,
    filter: Filter,
    checkpoint?: (createdFrom: string) => Promise<void>,
  ): Promise<number> {
    // The helper calls only dataSources.query: stamp each row object with the
    // database clock read just before the request that returned it. Keyed by
    // object, not id: at a window boundary the helper fetches some rows again
    // (and skips them); the copy it yields keeps the time of its own request.
    const fetchedAt = new WeakMap<object, Date>();
    const stamping = {
      dataSources: {
        query: async (args: QueryDataSourceParameters) => {
          const at = await this.mirror.now();
          const response = await client.dataSources.query(args);
          for (const row of response.results) fetchedAt.set(row, at);
          return response;
        },
      },
    } as unknown as Client;
    let written = 0;
    let batch: PageObjectResponse[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const oldest = new Date(Math.min(...batch.map((p) => fetchedAt.get(p)!.getTime())));
      const rows: MirrorRow[] = [];
      for (const page of batch) {
        try {
          rows.push(toMirrorRow(page, await this.completeProperties(client, page)));
        } catch (err) {
          // Deleted between the query and the property request: left out, so a
          // full sync's sweep tombstones it.
          if (classifyNotionError(err, { object: 'page' }).kind !== 'not_shared') throw err;
        }
      }
      written += (await this.mirror.upsert(projectId, rows, oldest)).written;
      await this.files.saveMany(projectId, rows, 'page', oldest);
      // Rows come in created_time order: a resumed read starts at the last one's minute.
      await checkpoint?.(batch[batch.length - 1]!.created_time);
      batch = [];
    };
    for await (const row of iterateAllDataSourceRows(stamping, {
      data_source_id: dataSourceId,
      page_size: BATCH,
      filter,
    })) {
      if (!isFullPage(row)) continue;
      batch.push(row);
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    return written;
  }

  /**
   * The page's properties with every list whole: the page object lists at most
   * 25 references per property; the rest come from the property endpoint.
   */
  private async completeProperties(client: Client, page: PageObjectResponse): Promise<Record<string, unknown>> {
    const cut = truncatedProperties(page);
    if (cut.length === 0) return page.properties;
    const properties: Record<string, unknown> = { ...page.properties };
    for (const { name, id, type } of cut) {
      const items: unknown[] = [];
      let cursor: string | undefined;
      do {
        const response = await client.pages.properties.retrieve({
          page_id: page.id,
          property_id: id,
          start_cursor: cursor,
          page_size: 100,
        });
        if (response.object !== 'list') break;
        for (const item of response.results) items.push((item as unknown as Record<string, unknown>)[type]);
        cursor = response.has_more ? (response.next_cursor ?? undefined) : undefined;
      } while (cursor);
      properties[name] = {
        ...(page.properties[name] as object),
        [type]: items,
        ...(type === 'relation' && { has_more: false }),
      };
    }
    return properties;
  }
}

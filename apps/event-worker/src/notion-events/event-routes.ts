import { JobName, NotionEventType } from '@app/contracts';

export type Route = { readonly job: JobName.SyncPage | JobName.SyncDatabase } | { readonly ignore: string };

/**
 * Which job a Notion event type calls for. Events are signals: even a delete
 * is confirmed by fetching the page. Everything not listed is recorded as
 * ignored (unknown types included: they are accepted, never rejected).
 */
export const EVENT_ROUTES: Readonly<Record<string, JobName.SyncPage | JobName.SyncDatabase>> = {
  [NotionEventType.PageCreated]: JobName.SyncPage,
  [NotionEventType.PageContentUpdated]: JobName.SyncPage,
  [NotionEventType.PagePropertiesUpdated]: JobName.SyncPage,
  [NotionEventType.PageMoved]: JobName.SyncPage,
  [NotionEventType.PageDeleted]: JobName.SyncPage,
  [NotionEventType.PageUndeleted]: JobName.SyncPage,
  [NotionEventType.DatabaseContentUpdated]: JobName.SyncDatabase,
  [NotionEventType.DatabaseSchemaUpdated]: JobName.SyncDatabase,
  [NotionEventType.DatabaseMoved]: JobName.SyncDatabase,
  [NotionEventType.DatabaseDeleted]: JobName.SyncDatabase,
  [NotionEventType.DatabaseUndeleted]: JobName.SyncDatabase,
  [NotionEventType.DataSourceContentUpdated]: JobName.SyncDatabase,
  [NotionEventType.DataSourceSchemaUpdated]: JobName.SyncDatabase,
  [NotionEventType.DataSourceMoved]: JobName.SyncDatabase,
  [NotionEventType.DataSourceDeleted]: JobName.SyncDatabase,
  [NotionEventType.DataSourceUndeleted]: JobName.SyncDatabase,
};

/**
 * Events whose page's body changed: besides the page job (which keeps the
 * page's `last_edited_time` right), a content job fetches the body. A new
 * page's body is asked for by its page job once the page is mirrored (the
 * page may belong to another database: only the page job can tell).
 */
export const CONTENT_EVENTS: ReadonlySet<string> = new Set([NotionEventType.PageContentUpdated]);

export function routeFor(eventType: string, entityId: string | null): Route {
  const job = EVENT_ROUTES[eventType];
  if (!job) return { ignore: `no job handles ${eventType} events` };
  if (!entityId) return { ignore: `${eventType} event names no entity` };
  return { job };
}

/**
 * Notion's webhook event types (Notion's wire names). Notion adds families over
 * time: unknown types are accepted and recorded, never rejected, so code must
 * treat this as an open set (`string`), with these as the known members.
 */
export const NOTION_EVENT_FAMILIES = ['page', 'database', 'data_source', 'comment', 'file_upload', 'view'] as const;
export type NotionEventFamily = (typeof NOTION_EVENT_FAMILIES)[number];

export const NotionEventType = {
  PageCreated: 'page.created',
  PageContentUpdated: 'page.content_updated',
  PagePropertiesUpdated: 'page.properties_updated',
  PageMoved: 'page.moved',
  PageDeleted: 'page.deleted',
  PageUndeleted: 'page.undeleted',
  PageLocked: 'page.locked',
  PageUnlocked: 'page.unlocked',
  DatabaseCreated: 'database.created',
  DatabaseContentUpdated: 'database.content_updated',
  DatabaseSchemaUpdated: 'database.schema_updated',
  DatabaseMoved: 'database.moved',
  DatabaseDeleted: 'database.deleted',
  DatabaseUndeleted: 'database.undeleted',
  DataSourceCreated: 'data_source.created',
  DataSourceContentUpdated: 'data_source.content_updated',
  DataSourceSchemaUpdated: 'data_source.schema_updated',
  DataSourceMoved: 'data_source.moved',
  DataSourceDeleted: 'data_source.deleted',
  DataSourceUndeleted: 'data_source.undeleted',
  CommentCreated: 'comment.created',
  CommentUpdated: 'comment.updated',
  CommentDeleted: 'comment.deleted',
} as const;
export type KnownNotionEventType = (typeof NotionEventType)[keyof typeof NotionEventType];

/** The header that carries Notion's HMAC of the raw body: `sha256=<hex>`. */
export const NOTION_SIGNATURE_HEADER = 'x-notion-signature';

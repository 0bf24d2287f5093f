import type { SeenFile } from '@app/notion';

/**
 * One page as the sync engine writes it (what Notion said, already flattened).
 * Notion-hosted files in `properties`, `icon` and `cover` hold their identity
 * (`file: {url: <identity>}`), never a signed URL: re-signed URLs are no change.
 */
export interface MirrorRow {
  readonly pageId: string;
  readonly dataSourceId: string | null;
  /** The title property as plain text. */
  readonly title: string;
  /** Notion's `properties` object, whole (lists past 25 references completed). */
  readonly properties: Record<string, unknown>;
  readonly url: string | null;
  readonly icon: unknown;
  readonly cover?: unknown;
  /** The Notion-hosted files the page showed, with the signed URLs of this fetch (for the file links' cache). */
  readonly files?: readonly SeenFile[];
  /** ISO times, as Notion gives them (rounded to the minute). */
  readonly createdTime: string;
  readonly lastEditedTime: string;
  /** In Notion's trash: mirrored as a tombstone that keeps its last state. */
  readonly inTrash: boolean;
}

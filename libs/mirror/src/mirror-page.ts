/** One page as the sync engine writes it (what Notion said, already flattened). */
export interface MirrorRow {
  readonly pageId: string;
  readonly dataSourceId: string | null;
  /** The title property as plain text. */
  readonly title: string;
  /** Notion's `properties` object, whole (lists past 25 references completed). */
  readonly properties: Record<string, unknown>;
  readonly url: string | null;
  readonly icon: unknown;
  /** ISO times, as Notion gives them (rounded to the minute). */
  readonly createdTime: string;
  readonly lastEditedTime: string;
  /** In Notion's trash: mirrored as a tombstone that keeps its last state. */
  readonly inTrash: boolean;
}

/** A mirrored page as the read API returns it. */
export interface MirrorPageView {
  readonly id: string;
  readonly dataSourceId: string | null;
  readonly title: string;
  readonly properties: Record<string, unknown>;
  readonly url: string | null;
  readonly icon: unknown;
  readonly createdTime: Date;
  readonly lastEditedTime: Date;
  readonly inTrash: boolean;
  /** Set when the page left the database (trashed, deleted, moved or unshared). */
  readonly deletedAt: Date | null;
  /** Change-feed position of this row's latest write (a decimal string: it is a bigint). */
  readonly version: string;
  /** When a fetch last confirmed this state. */
  readonly syncedAt: Date;
}

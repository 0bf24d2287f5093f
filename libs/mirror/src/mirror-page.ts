/** A mirrored page as the read API returns it. */
export interface MirrorPageView {
  readonly id: string;
  readonly dataSourceId: string | null;
  readonly title: string;
  /** Notion's properties, exactly as Notion shaped them, keyed by name. */
  readonly properties: Record<string, unknown>;
  /** Plain values keyed by each property's current name (docs/queries.md, "Values"). */
  readonly values: Record<string, unknown>;
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

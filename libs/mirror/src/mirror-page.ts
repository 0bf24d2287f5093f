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
  /** Notion's icon object; a Notion-hosted file as our stable link. */
  readonly icon: unknown;
  /** Notion's cover object; a Notion-hosted file as our stable link. */
  readonly cover: unknown;
  readonly createdTime: Date;
  readonly lastEditedTime: Date;
  readonly inTrash: boolean;
  /** Set when the page left the database (trashed, deleted, moved or unshared). */
  readonly deletedAt: Date | null;
  /** Change-feed position of this row's latest write (a decimal string: it is a bigint). */
  readonly version: string;
  /** The version at which the page's body last changed (fetch the body again when it moves); null until fetched. */
  readonly contentVersion: string | null;
  /** When a fetch last confirmed this state. */
  readonly syncedAt: Date;
}

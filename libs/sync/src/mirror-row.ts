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

/**
 * The in-memory fan-out of a gateway's change streams (issue 15; see
 * docs/architecture.md, "Live changes"), behind `ChangesStreams`.
 *
 * Per project with open streams the hub keeps its live position (`head`) and
 * its members. A wake-up (the feed advanced, or a timer) makes one read of the
 * feed after `head`, paged, whose rows go to every live member: a thousand
 * streams of one project cost one read. A new stream first replays from its
 * own position with reads of its own, then joins once it has caught up with
 * `head`; each member is sent only rows above its own last version, so a row
 * read both ways is sent once, and a row committed while a read ran is read by
 * the next wake-up (every commit is followed by one).
 */

/** One row of the change feed: what matters here is its version (a bigint as a decimal string). */
export interface FeedRow {
  readonly version: string;
}

/** A page of the feed after a version (`MirrorReader.changes`'s shape). */
export interface FeedPage<T extends FeedRow> {
  readonly items: readonly T[];
  readonly nextAfter: string;
  readonly hasMore: boolean;
}

/** Reads the project's feed after `after`. */
export type FeedReader<T extends FeedRow> = (projectId: string, after: string) => Promise<FeedPage<T>>;

/** Where a stream's rows go. `send` answers false when the stream cannot keep up: the hub drops it. */
export interface FeedSink<T extends FeedRow> {
  send(rows: readonly T[]): boolean;
  /** Resolves when the stream can take more: the replay waits for it between its reads. */
  ready?(): Promise<void>;
  /** The replay is done: the stream is live, having been sent everything up to `version`. */
  live?(version: string): void;
  /** The hub dropped the stream (it could not keep up, or a read failed). */
  closed(reason: 'slow' | 'error'): void;
}

export interface FeedStream {
  /** Leaves the hub (the client went away). */
  close(): void;
}

interface Member<T extends FeedRow> {
  last: bigint;
  live: boolean;
  open: boolean;
  readonly sink: FeedSink<T>;
}

interface ProjectFeed<T extends FeedRow> {
  head: bigint | undefined;
  readonly members: Set<Member<T>>;
  reading: boolean;
  again: boolean;
  /** Live reads that failed in a row. */
  failures: number;
}

/** Live reads of a feed that may fail in a row before its streams end. */
const MAX_FAILURES = 3;

export interface FeedHubOptions {
  /** A live read failed: `fatal` ends the feed's streams at once (else after `maxFailures` in a row). */
  failed?(projectId: string, err: unknown): 'fatal' | 'retry';
  maxFailures?: number;
}

export class FeedHub<T extends FeedRow> {
  private readonly projects = new Map<string, ProjectFeed<T>>();

  constructor(
    private readonly read: FeedReader<T>,
    private readonly options: FeedHubOptions = {},
  ) {}

  /** The feed's live position, if it has one: the timer wakes only feeds behind the project's newest version. */
  head(projectId: string): bigint | undefined {
    return this.projects.get(projectId)?.head;
  }

  /** Projects with open streams (for the timer's wake-ups). */
  projectIds(): string[] {
    return [...this.projects.keys()];
  }

  /** Streams open on a project. */
  size(projectId: string): number {
    return this.projects.get(projectId)?.members.size ?? 0;
  }

  /** Opens a stream of `projectId`'s feed after `after`: it replays, then goes live. */
  open(projectId: string, after: string, sink: FeedSink<T>): FeedStream {
    const feed = this.feed(projectId);
    const member: Member<T> = { last: BigInt(after), live: false, open: true, sink };
    feed.members.add(member);
    void this.replay(projectId, feed, member);
    return { close: () => this.leave(projectId, feed, member) };
  }

  /** The project's feed advanced: one read for all its live streams (folded with a read under way). */
  wake(projectId: string): void {
    const feed = this.projects.get(projectId);
    if (!feed || feed.head === undefined) return;
    if (feed.reading) {
      feed.again = true;
      return;
    }
    void this.readLive(projectId, feed);
  }

  private feed(projectId: string): ProjectFeed<T> {
    let feed = this.projects.get(projectId);
    if (!feed) {
      feed = { head: undefined, members: new Set(), reading: false, again: false, failures: 0 };
      this.projects.set(projectId, feed);
    }
    return feed;
  }

  private async replay(projectId: string, feed: ProjectFeed<T>, member: Member<T>): Promise<void> {
    try {
      for (;;) {
        const headBefore = feed.head;
        const page = await this.read(projectId, String(member.last));
        if (!member.open) return;
        if (!this.deliver(projectId, feed, member, page.items)) return;
        if (page.hasMore) {
          // Paced by the client: the next page is read once this one is on its way.
          await member.sink.ready?.();
          if (!member.open) return;
          continue;
        }
        // Caught up with what this read saw. Joining is one synchronous step:
        // the hub's next read starts at `head`, at or below this member's last.
        // Or, when `head` did not move while this read ran, it is behind
        // `head` only by rows that no longer exist (superseded, or a purged
        // tombstone): every row up to `head` had committed before the hub's
        // read of it ended, so before this read began, which saw none.
        if (feed.head === undefined) feed.head = member.last;
        if (member.last >= feed.head || feed.head === headBefore) {
          member.live = true;
          member.sink.live?.(String(member.last));
          // A wake-up that came while no stream was live was not read: read now.
          this.wake(projectId);
          return;
        }
      }
    } catch {
      this.drop(projectId, feed, member, 'error');
    }
  }

  private async readLive(projectId: string, feed: ProjectFeed<T>): Promise<void> {
    feed.reading = true;
    try {
      do {
        feed.again = false;
        for (;;) {
          const page = await this.read(projectId, String(feed.head));
          for (const member of [...feed.members]) {
            if (member.live) this.deliver(projectId, feed, member, page.items);
          }
          const next = BigInt(page.nextAfter);
          if (next > feed.head!) feed.head = next;
          if (!page.hasMore) break;
        }
      } while (feed.again && feed.members.size > 0);
      feed.failures = 0;
    } catch (err) {
      // The next wake-up (an announcement or the timer) reads again from
      // `head`; a feed that cannot be read (its selection no longer fits the
      // schema, a database that stays down) ends its streams: their clients
      // reconnect, and see why.
      feed.failures++;
      const fatal = this.options.failed?.(projectId, err) === 'fatal';
      if (fatal || feed.failures >= (this.options.maxFailures ?? MAX_FAILURES)) {
        for (const member of [...feed.members]) this.drop(projectId, feed, member, 'error');
      }
    } finally {
      feed.reading = false;
      if (feed.members.size === 0) this.projects.delete(projectId);
    }
  }

  /**
   * Sends `rows` (in version order) above the member's last; false when the
   * member was dropped. A live member usually takes the whole read: then the
   * very array goes to it, as to every other member (its encoding is shared),
   * and one comparison decides it.
   */
  private deliver(projectId: string, feed: ProjectFeed<T>, member: Member<T>, rows: readonly T[]): boolean {
    if (rows.length === 0) return true;
    const fresh =
      BigInt(rows[0]!.version) > member.last ? rows : rows.filter((row) => BigInt(row.version) > member.last);
    if (fresh.length === 0) return true;
    member.last = BigInt(fresh[fresh.length - 1]!.version);
    if (member.sink.send(fresh)) return true;
    this.drop(projectId, feed, member, 'slow');
    return false;
  }

  private drop(projectId: string, feed: ProjectFeed<T>, member: Member<T>, reason: 'slow' | 'error'): void {
    if (!member.open) return;
    this.leave(projectId, feed, member);
    member.sink.closed(reason);
  }

  private leave(projectId: string, feed: ProjectFeed<T>, member: Member<T>): void {
    member.open = false;
    member.live = false;
    feed.members.delete(member);
    if (feed.members.size === 0 && !feed.reading) this.projects.delete(projectId);
  }
}

import { describe, expect, it } from '@jest/globals';
import { FeedHub, type FeedPage, type FeedRow, type FeedSink } from './feed-hub.js';

/** A seeded generator (a failure reproduces): mulberry32. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = seeded(15);

interface Row extends FeedRow {
  readonly page: string;
}

/**
 * A project's change feed as the mirror keeps it: one row per page at its
 * latest version (compacted), versions from one sequence, read in pages.
 */
class Feed {
  private version = 0n;
  readonly rows = new Map<string, Row>();
  reads = 0;
  /** Set: the next read takes its snapshot, then waits for `release()`. */
  holdNext = false;
  private gate?: Promise<void>;
  release: () => void = () => undefined;

  constructor(private readonly pageSize = 3) {}

  /** Set: reads reject with it. */
  failWith?: Error;

  write(page: string): void {
    this.version++;
    this.rows.set(page, { page, version: String(this.version) });
  }

  /** The row leaves the feed (a tombstone purged by retention). */
  purge(page: string): void {
    this.rows.delete(page);
  }

  read = async (_projectId: string, after: string): Promise<FeedPage<Row>> => {
    this.reads++;
    if (this.failWith) throw this.failWith;
    // A read sees the feed as it was when it began (its snapshot), and takes
    // a moment: writes land while it runs, and a later read may end first.
    const newer = [...this.rows.values()]
      .filter((r) => BigInt(r.version) > BigInt(after))
      .sort((a, b) => (BigInt(a.version) < BigInt(b.version) ? -1 : 1));
    const items = newer.slice(0, this.pageSize);
    if (this.holdNext) {
      this.holdNext = false;
      this.gate = new Promise((resolve) => (this.release = resolve));
      await this.gate;
    }
    for (let i = Math.floor(random() * 3); i >= 0; i--) await new Promise((resolve) => setImmediate(resolve));
    return {
      items,
      nextAfter: items.length ? items[items.length - 1]!.version : after,
      hasMore: newer.length > this.pageSize,
    };
  };
}

/** What a stream received, and whether it was closed. */
function sink(capacity = Infinity) {
  const got: Row[] = [];
  let closed: string | undefined;
  const s: FeedSink<Row> = {
    send: (rows) => {
      got.push(...rows);
      return got.length <= capacity;
    },
    closed: (reason) => (closed = reason),
  };
  return { s, got, closed: () => closed };
}

/** The state a client builds from what it received: page -> version. */
const stateOf = (rows: readonly Row[]) => new Map(rows.map((r) => [r.page, r.version]));
/**
 * Lets every read under way finish. A read here takes at most three turns of
 * the event loop, so a fixed number of turns is enough whatever the machine's
 * load; a wall-clock wait is not (a 20 ms timer fired before a read's turn
 * when CI's process was descheduled, and the stream had received nothing).
 */
const settle = async () => {
  for (let turn = 0; turn < 100; turn++) await new Promise((resolve) => setImmediate(resolve));
};

describe('FeedHub', () => {
  it('replays from a position, then delivers live rows, with increasing versions and nothing twice', async () => {
    const feed = new Feed();
    for (const p of ['a', 'b', 'c', 'd', 'e']) feed.write(p);
    const hub = new FeedHub(feed.read);
    const one = sink();
    hub.open('p', '2', one.s);
    await settle();
    expect(one.got.map((r) => r.version)).toEqual(['3', '4', '5']);
    feed.write('a');
    feed.write('f');
    hub.wake('p');
    await settle();
    expect(one.got.map((r) => r.version)).toEqual(['3', '4', '5', '6', '7']);
  });

  it('sends a stream that joined ahead of the live position nothing twice', async () => {
    const feed = new Feed();
    feed.write('a');
    const hub = new FeedHub(feed.read);
    const first = sink();
    hub.open('p', '0', first.s);
    await settle();
    // Written with no wake-up yet: the next stream replays them, then joins ahead of the hub.
    feed.write('b');
    feed.write('c');
    const second = sink();
    hub.open('p', '0', second.s);
    await settle();
    hub.wake('p');
    await settle();
    expect(second.got.map((r) => r.version)).toEqual(['1', '2', '3']);
    expect(first.got.map((r) => r.version)).toEqual(['1', '2', '3']);
  });

  it('reads again before joining when its replay saw less than the live position (no gap)', async () => {
    const feed = new Feed();
    feed.write('a');
    const hub = new FeedHub(feed.read);
    const live = sink();
    hub.open('p', '0', live.s);
    await settle();
    // The new stream's read takes its snapshot now and ends late ...
    feed.holdNext = true;
    const late = sink();
    hub.open('p', '0', late.s);
    // ... while later writes are read by the hub, which moves past it.
    feed.write('b');
    feed.write('c');
    hub.wake('p');
    await settle();
    feed.release();
    await settle();
    expect(late.got.map((r) => r.page)).toEqual(['a', 'b', 'c']);
  });

  it('reads for a stream that joins after a wake-up came while none was live', async () => {
    const feed = new Feed();
    feed.write('a');
    const hub = new FeedHub(feed.read);
    const only = sink();
    hub.open('p', '0', only.s);
    // Committed and announced while the stream still replays (its read began before it).
    feed.write('b');
    hub.wake('p');
    await settle();
    expect(only.got.map((r) => r.page)).toEqual(['a', 'b']);
  });

  it('makes one read per wake-up for any number of live streams', async () => {
    const feed = new Feed(100);
    feed.write('a');
    const hub = new FeedHub(feed.read);
    const sinks = Array.from({ length: 1000 }, () => sink());
    for (const x of sinks) hub.open('p', '0', x.s);
    await settle();
    const before = feed.reads;
    feed.write('b');
    feed.holdNext = true;
    hub.wake('p');
    // Three wake-ups while that read is held fold into one more read.
    hub.wake('p');
    hub.wake('p');
    hub.wake('p');
    feed.release();
    await settle();
    expect(feed.reads - before).toBe(2);
    for (const x of sinks) expect(x.got.map((r) => r.page)).toEqual(['a', 'b']);
  });

  it('hands over from replay to live under concurrent writes with no gap and no duplicate', async () => {
    const feed = new Feed(4);
    const hub = new FeedHub(feed.read);
    const streams: Array<ReturnType<typeof sink>> = [];
    let n = 0;
    const pages = 'abcdefghij'.split('');
    // Writes, wake-ups and stream openings (at random positions), interleaved.
    for (let step = 0; step < 300; step++) {
      feed.write(pages[n++ % pages.length]!);
      if (step % 3 === 0) hub.wake('p');
      if (step % 20 === 0) {
        const x = sink();
        streams.push(x);
        hub.open('p', String(Math.floor(random() * step)), x.s);
      }
      if (step % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    hub.wake('p');
    await settle();
    hub.wake('p');
    await settle();
    const final = new Map([...feed.rows.values()].map((r) => [r.page, r.version]));
    for (const x of streams) {
      const versions = x.got.map((r) => BigInt(r.version));
      expect(versions.every((v, i) => i === 0 || v > versions[i - 1]!)).toBe(true);
      // Applied in order, what it received is the feed's final state.
      expect(stateOf(x.got)).toEqual(final);
    }
  });

  it('drops a stream that cannot keep up, and the others go on', async () => {
    const feed = new Feed(100);
    for (const p of ['a', 'b']) feed.write(p);
    const hub = new FeedHub(feed.read);
    const slow = sink(2);
    const fine = sink();
    hub.open('p', '0', slow.s);
    hub.open('p', '0', fine.s);
    await settle();
    feed.write('c');
    hub.wake('p');
    await settle();
    expect(slow.closed()).toBe('slow');
    expect(fine.got.map((r) => r.page)).toEqual(['a', 'b', 'c']);
    expect(hub.size('p')).toBe(1);
  });

  it("joins a stream whose replay ends below the hub's position only by rows that are gone", async () => {
    const feed = new Feed();
    for (const p of ['a', 'b', 'c']) feed.write(p);
    const hub = new FeedHub(feed.read);
    const first = sink();
    hub.open('p', '0', first.s);
    await settle();
    // The hub's position is 3 (row c); then c's tombstone is purged.
    feed.purge('c');
    const later = sink();
    let live: string | undefined;
    later.s.live = (version) => (live = version);
    hub.open('p', '0', later.s);
    await settle();
    expect(live).toBe('2');
    const reads = feed.reads;
    await settle();
    // Joined: it does not read again and again.
    expect(feed.reads).toBe(reads);
    feed.write('d');
    hub.wake('p');
    await settle();
    expect(later.got.map((r) => r.page)).toEqual(['a', 'b', 'd']);
    expect(first.got.map((r) => r.page)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('ends the streams of a feed whose live reads keep failing, at once when the failure is fatal', async () => {
    const feed = new Feed();
    feed.write('a');
    const failures: unknown[] = [];
    const hub = new FeedHub(feed.read, { failed: (_p, err) => (failures.push(err), 'retry') });
    const one = sink();
    hub.open('p', '0', one.s);
    await settle();
    /** Wake-ups, each read to its end, with reads failing or not. */
    const reads = async (count: number, failing: boolean) => {
      feed.failWith = failing ? new Error('database down') : undefined;
      for (let i = 0; i < count; i++) {
        hub.wake('p');
        await settle();
      }
    };
    await reads(2, true);
    expect(one.closed()).toBeUndefined();
    // A read that works again resets the count.
    await reads(1, false);
    await reads(2, true);
    expect(one.closed()).toBeUndefined();
    await reads(1, true);
    expect(one.closed()).toBe('error');
    expect(failures).toHaveLength(5);

    const fatalFeed = new Feed();
    fatalFeed.write('a');
    const fatalHub = new FeedHub(fatalFeed.read, { failed: () => 'fatal' });
    const two = sink();
    fatalHub.open('p', '0', two.s);
    await settle();
    fatalFeed.failWith = new Error('no such property');
    fatalHub.wake('p');
    await settle();
    expect(two.closed()).toBe('error');
    expect(fatalHub.projectIds()).toEqual([]);
  });

  it('forgets a project once its last stream closes', async () => {
    const feed = new Feed();
    feed.write('a');
    const hub = new FeedHub(feed.read);
    const stream = hub.open('p', '0', sink().s);
    await settle();
    expect(hub.projectIds()).toEqual(['p']);
    stream.close();
    expect(hub.projectIds()).toEqual([]);
  });
});

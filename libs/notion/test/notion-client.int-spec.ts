import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { ConfigModule, type AppConfig } from '@app/config';
import {
  NotionClientFactory,
  NotionLimiterUnavailableError,
  NotionModule,
  NotionRateLimiter,
  NotionTurnDeferredError,
  classifyNotionError,
  runInNotionJob,
} from '@app/notion';
import { MetricsModule } from '@app/observability';
import { FakeNotion, ThrowawayRedis, freePort, waitFor } from '@app/testing';
import { SERVER_URLS, testConfig } from '../../../test/jest/test-env.js';

/** A "replica": the Notion module in a Nest container of its own, with its own Redis connection. */
interface Replica {
  readonly module: TestingModule;
  readonly factory: NotionClientFactory;
  readonly limiter: NotionRateLimiter;
}

async function replica(config: AppConfig): Promise<Replica> {
  const module = await Test.createTestingModule({
    imports: [ConfigModule.forRoot(config), MetricsModule.forRoot('test', { http: false }), NotionModule],
  }).compile();
  return { module, factory: module.get(NotionClientFactory), limiter: module.get(NotionRateLimiter) };
}

const newToken = () => `ntn_${randomBytes(20).toString('hex')}`;

/** The most starts in any half-open window [t, t + windowMs) (times in ms). */
function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, start = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[start]! >= windowMs) start++;
    max = Math.max(max, i - start + 1);
  }
  return max;
}

/** Wraps `turn` to count the calls (every attempt the SDK makes takes a turn). */
function countTurns(limiter: NotionRateLimiter): { count: number } {
  const counter = { count: 0 };
  const original = limiter.turn.bind(limiter);
  limiter.turn = (token, options) => {
    counter.count++;
    return original(token, options);
  };
  return counter;
}

/** One decision the limiter asked of Redis, and its answer. */
interface Answer {
  readonly op: string;
  /** 0 start now; 1, 2, 4 sleep `ms` and ask again; 3 come back in `ms`. */
  readonly status: number;
  readonly ms: number;
  /** Redis's clock at the decision (ms). */
  readonly at: number;
}

/**
 * When requests started, by the limiter's own decisions (Redis's clock): the
 * times its bound is about. Arrivals at the fake server add the process's and
 * the network's jitter (a request delayed 100 ms by a busy machine lands in the
 * next one's window), so bounds are checked here, and arrivals only for counts.
 */
const startsOf = (...answers: Answer[][]): number[] =>
  answers.flat().flatMap((a) => (a.status === 0 && a.op !== 'pause' ? [a.at] : []));

/** Wraps the limiter's Redis script to record every decision and its answer. */
function recordAnswers(limiter: NotionRateLimiter): Answer[] {
  type Script = (...args: unknown[]) => Promise<[number, number, number]>;
  const internal = limiter as unknown as { redis: { notionRateTurn: Script } };
  const ask = internal.redis.notionRateTurn.bind(internal.redis);
  const answers: Answer[] = [];
  internal.redis.notionRateTurn = async (...args: unknown[]) => {
    const [status, ms, at] = await ask(...args);
    answers.push({ op: String(args[4]), status, ms, at });
    return [status, ms, at];
  };
  return answers;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The Notion access layer against the real Redis (this run's key prefix) and
 * the fake Notion server: the shared rate limit holds across replicas, per
 * token, for the SDK's retries too; and it fails closed without Redis.
 */
describe('Notion clients and the shared rate limiter', () => {
  const fake = new FakeNotion();
  const replicas: Replica[] = [];
  const redis = new Redis(SERVER_URLS.redis);
  let databaseId: string;
  let pageId: string;
  let otherPageId: string;

  /** Shares the fake's database with a new token and returns the token. */
  const sharedToken = (): string => {
    const token = newToken();
    fake.share(token, databaseId);
    return token;
  };

  /** A replica with Notion's pace (3/s, burst 3, the config's defaults; test runs default to a faster one). */
  const start = async (overrides: Record<string, string> = {}): Promise<Replica> => {
    const r = await replica(
      testConfig({
        NOTION_API_BASE_URL: fake.url,
        NOTION_RATE_LIMIT_PER_SECOND: '3',
        NOTION_RATE_LIMIT_BURST: '3',
        ...overrides,
      }),
    );
    replicas.push(r);
    return r;
  };

  /**
   * The limiter bounds when requests start; the server sees them after their
   * connection is set up. A burst that must open new sockets arrives later
   * than the paced requests behind it on warm ones, which squeezes them into
   * one window. So open the sockets (the HTTP pool is shared by the process)
   * and the replicas' Redis connections before measuring.
   */
  const warmUp = async (rs: Replica[]) => {
    await Promise.all(Array.from({ length: 12 }, () => fetch(`${fake.url}/v1/users/me`).then((r) => r.text())));
    for (const r of rs) await r.limiter.acquire(newToken());
  };

  beforeAll(async () => {
    await fake.start();
    const db = fake.addDatabase('Tasks');
    databaseId = db.databaseId;
    pageId = fake.addPage(db.dataSourceIds[0]!, 'First').id;
    otherPageId = fake.addPage(db.dataSourceIds[0]!, 'Second').id;
  });

  afterAll(async () => {
    for (const r of replicas) await r.module.close();
    redis.disconnect();
    await fake.stop();
  });

  it('keeps two replicas hammering one token within burst + rate × W in every window (10/s, burst 3)', async () => {
    const config = { NOTION_RATE_LIMIT_PER_SECOND: '10', NOTION_RATE_LIMIT_BURST: '3' };
    const [a, b] = [await start(config), await start(config)];
    const token = sharedToken();
    await warmUp([a, b]);
    const answers = [recordAnswers(a.limiter), recordAnswers(b.limiter)];

    const calls = Array.from({ length: 60 }, (_, i) =>
      (i % 2 ? a : b).factory.forToken(token).pages.retrieve({ page_id: pageId }),
    );
    const pages = await Promise.all(calls);

    expect(pages.every((p) => p.id === pageId)).toBe(true);
    const arrivals = fake.requests.filter((r) => r.token === token);
    expect(arrivals).toHaveLength(60);
    expect(arrivals.every((r) => r.status === 200)).toBe(true);
    const times = startsOf(...answers);
    expect(times).toHaveLength(60);
    const windows = [500, 1000, 2000, 3000].map((w) => ({
      w,
      seen: maxInWindow(times, w),
      bound: 3 + (10 * w) / 1000,
    }));
    expect(windows.filter(({ seen, bound }) => seen > bound)).toEqual([]);
    // The pacing is real: without a shared bucket the 60 would arrive at once.
    expect(
      maxInWindow(
        arrivals.map((r) => r.at),
        1000,
      ),
    ).toBeLessThan(60);
  }, 30_000);

  it("holds Notion's 3/s, burst 3, to at most 33 requests in any 10 s window across two replicas", async () => {
    const [a, b] = [await start(), await start()];
    const token = sharedToken();
    await warmUp([a, b]);
    const answers = [recordAnswers(a.limiter), recordAnswers(b.limiter)];

    // 36 requests take about 11 s at 3/s: enough for a full 10 s window.
    await Promise.all(
      Array.from({ length: 36 }, (_, i) => (i % 2 ? a : b).factory.forToken(token).pages.retrieve({ page_id: pageId })),
    );

    expect(fake.requests.filter((r) => r.token === token && r.status === 200)).toHaveLength(36);
    const times = startsOf(...answers);
    expect(times).toHaveLength(36);
    expect(maxInWindow(times, 10_000)).toBeLessThanOrEqual(33);
    expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(6);
  }, 30_000);

  it('gives each token a bucket of its own', async () => {
    // 1/s: a shared bucket would make the second token wait about a second per request.
    const { limiter } = await start({ NOTION_RATE_LIMIT_PER_SECOND: '1', NOTION_RATE_LIMIT_BURST: '3' });
    const [first, second] = [newToken(), newToken()];
    for (let i = 0; i < 3; i++) await limiter.acquire(first);

    // Count the decisions asked of Redis (status 0: start now); a request that had to wait asks again.
    const answers = recordAnswers(limiter);
    for (let i = 0; i < 3; i++) await limiter.acquire(second);
    expect(answers.map((a) => a.status)).toEqual([0, 0, 0]);

    await limiter.acquire(first);
    expect(answers.length).toBeGreaterThan(4);
    expect(answers[3]!.status).toBeGreaterThan(0);
    expect(limiter.keyFor(first)).not.toBe(limiter.keyFor(second));
  });

  it("paces the SDK's retries of a 429, and the pause it asks for holds the other replica back", async () => {
    // A server of this spec's own: the first request is answered 429 with Retry-After: 1.
    const arrivals: Array<{ at: number; status: number }> = [];
    const server: Server = createServer((req, res) => {
      const status = arrivals.length === 0 ? 429 : 200;
      arrivals.push({ at: Date.now(), status });
      const body =
        status === 429
          ? { object: 'error', status, code: 'rate_limited', message: 'Slow down', request_id: 'r' }
          : { object: 'page', id: 'p1' };
      res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '1' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const a = await start({ NOTION_API_BASE_URL: url });
      const b = await start({ NOTION_API_BASE_URL: url });
      const turnsA = countTurns(a.limiter);
      const turnsB = countTurns(b.limiter);
      const token = newToken();

      const first = a.factory.forToken(token).pages.retrieve({ page_id: 'p1' });
      // Once replica A has paused the bucket for the 429, replica B asks too.
      await waitFor(async () => Number(await redis.hget(a.limiter.keyFor(token), 'until')) > 0, {
        intervalMs: 5,
        what: 'the pause',
      });
      const second = b.factory.forToken(token).pages.retrieve({ page_id: 'p1' });
      await Promise.all([first, second]);

      expect(arrivals.map((r) => r.status)).toEqual([429, 200, 200]);
      // The SDK's retry asked the limiter again: two attempts, two turns.
      expect(turnsA.count).toBe(2);
      expect(turnsB.count).toBe(1);
      // Nothing reached Notion before the Retry-After second was over.
      const rateLimitedAt = arrivals[0]!.at;
      for (const later of arrivals.slice(1)) expect(later.at).toBeGreaterThanOrEqual(rateLimitedAt + 1000);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('names the Redis key by a hash of the token and lets it expire', async () => {
    const { factory, limiter } = await start();
    const token = sharedToken();
    await factory.forToken(token).pages.retrieve({ page_id: pageId });

    const prefix = testConfig().redis.keyPrefix;
    const keys = await redis.keys(`${prefix}:notion-rate:*`);
    const hash = createHash('sha256').update(token).digest('hex').slice(0, 32);
    const key = `${prefix}:notion-rate:${hash}`;
    expect(keys).toContain(key);
    expect(limiter.keyFor(token)).toBe(key);
    const secret = token.slice(4);
    for (let i = 0; i + 8 <= secret.length; i++) {
      expect(keys.some((k) => k.includes(secret.slice(i, i + 8)))).toBe(false);
    }
    const state = await redis.hgetall(key);
    expect(Object.keys(state).sort()).toEqual(['tat', 'tokens', 'ts', 'until']);
    expect(JSON.stringify(state)).not.toContain(secret.slice(0, 8));
    // Refilled after burst / rate = 1 s; the key goes a second after that.
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2000);
  });

  it('refuses to pace (and so to send) anything while Redis is down, and recovers when it is back', async () => {
    const throwaway = new ThrowawayRedis();
    await throwaway.start();
    try {
      const { factory, limiter } = await start({ REDIS_URL: throwaway.url });
      const token = sharedToken();
      await limiter.acquire(token);

      await throwaway.stop();
      const before = fake.requests.length;
      // Every caller waiting in this process is refused, not only the first.
      const waiting = await Promise.allSettled(Array.from({ length: 10 }, () => limiter.acquire(token)));
      expect(waiting.map((r) => r.status)).toEqual(Array(10).fill('rejected'));
      for (const r of waiting)
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(NotionLimiterUnavailableError);
      const err = await factory
        .forToken(token)
        .pages.retrieve({ page_id: pageId })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotionLimiterUnavailableError);
      expect(classifyNotionError(err).kind).toBe('transient');
      expect(fake.requests.length).toBe(before);

      await throwaway.start();
      // ioredis reconnects on its own schedule; the first acquire after that succeeds.
      let recovered = false;
      for (let i = 0; i < 50 && !recovered; i++) {
        recovered = await limiter.acquire(token).then(
          () => true,
          () => new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 200)),
        );
      }
      expect(recovered).toBe(true);
    } finally {
      await throwaway.stop();
    }
  });

  it('rejects when Redis was never there', async () => {
    const { limiter } = await start({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    await expect(limiter.acquire(newToken())).rejects.toBeInstanceOf(NotionLimiterUnavailableError);
  });

  it('stops waiting when the caller aborts', async () => {
    const { limiter } = await start({ NOTION_RATE_LIMIT_PER_SECOND: '1', NOTION_RATE_LIMIT_BURST: '1' });
    const token = newToken();
    await limiter.acquire(token);
    const controller = new AbortController();
    const waiting = limiter.acquire(token, controller.signal);
    controller.abort(new Error('job cancelled'));
    await expect(waiting).rejects.toThrow('job cancelled');
  });

  describe('reserved turns', () => {
    it('gives 200 jobs that cannot wait 200 distinct turns, one per 1/rate s, in the order they asked', async () => {
      const { limiter } = await start({ NOTION_RATE_LIMIT_PER_SECOND: '10', NOTION_RATE_LIMIT_BURST: '3' });
      const token = newToken();
      const laterMs: number[] = [];
      for (let i = 0; i < 200; i++) laterMs.push(await limiter.turn(token, { reservation: `job-${i}`, patienceMs: 0 }));
      // The burst starts at once; every other job is told when its own turn comes.
      expect(laterMs.slice(0, 3)).toEqual([0, 0, 0]);
      const waits = laterMs.slice(3);
      expect(waits.every((ms) => ms > 0)).toBe(true);
      // Each job's turn, as the limiter holds it (Redis clock, µs): 1/rate apart, none shared.
      const slots = await Promise.all(
        Array.from({ length: 197 }, async (_, i) =>
          Number(await redis.get(`${limiter.keyFor(token)}:turn:job-${i + 3}`)),
        ),
      );
      for (let i = 1; i < slots.length; i++) expect(slots[i]! - slots[i - 1]!).toBeCloseTo(100_000, 0);
      // Each turn is held under the job's name, for its wait plus the grace, not for ever.
      const held = await redis.pttl(`${limiter.keyFor(token)}:turn:job-199`);
      expect(held).toBeGreaterThan(waits[waits.length - 1]!);
      expect(held).toBeLessThanOrEqual(waits[waits.length - 1]! + 60_000 + 100);
      // The bucket's own key lives while the line is long (the last turn plus a burst's worth), and a second more.
      const bucket = await redis.pttl(limiter.keyFor(token));
      expect(bucket).toBeGreaterThan(waits[waits.length - 1]!);
      expect(bucket).toBeLessThanOrEqual(waits[waits.length - 1]! + 3 * 100 + 1000 + 10);
    });

    it('honours a reserved turn: the job that comes back at its time goes, ahead of requests that asked meanwhile', async () => {
      const { limiter } = await start({ NOTION_RATE_LIMIT_PER_SECOND: '4', NOTION_RATE_LIMIT_BURST: '1' });
      const token = newToken();
      await limiter.acquire(token); // the burst is spent
      const later = await limiter.turn(token, { reservation: 'job-a', patienceMs: 0 });
      expect(later).toBeGreaterThan(0);
      // Others ask meanwhile: they queue behind the reserved turn, however long they may wait.
      const others = limiter.turn(token, { patienceMs: 0 });
      expect(await others).toBeGreaterThan(later);
      await sleep(later);
      expect(await limiter.turn(token, { reservation: 'job-a', patienceMs: 0 })).toBe(0);
      expect(await redis.exists(`${limiter.keyFor(token)}:turn:job-a`)).toBe(0);
    });

    it('waits in place for a turn within the patience, and holds nothing for a caller without a name', async () => {
      const { limiter } = await start({ NOTION_RATE_LIMIT_PER_SECOND: '5', NOTION_RATE_LIMIT_BURST: '1' });
      const token = newToken();
      await limiter.acquire(token);
      const asked = Date.now();
      expect(await limiter.turn(token, { reservation: 'job-b', patienceMs: 1000 })).toBe(0);
      expect(Date.now() - asked).toBeGreaterThanOrEqual(150);
      // Without a name a turn too far off is not taken: the next caller gets the next place.
      expect(await limiter.turn(token, { patienceMs: 0 })).toBeGreaterThan(0);
      expect(await limiter.turn(token, { patienceMs: 0 })).toBeGreaterThan(0);
      expect(await redis.keys(`${limiter.keyFor(token)}:turn:*`)).toEqual([]);
    });

    it('keeps burst + rate × W in every window when deferred jobs all claim their turns late, on two replicas', async () => {
      const config = {
        NOTION_RATE_LIMIT_PER_SECOND: '5',
        NOTION_RATE_LIMIT_BURST: '2',
        NOTION_RATE_LIMIT_DEFER_MS: '0',
      };
      const [a, b] = [await start(config), await start(config)];
      const token = sharedToken();
      await warmUp([a, b]);
      const answers = [recordAnswers(a.limiter), recordAnswers(b.limiter)];
      /** A job: one page fetch; told to come back later, it does (as BullMQ would bring it back). */
      const job = async (id: number, first = true): Promise<void> => {
        for (let tries = 0; ; tries++) {
          const r = id % 2 ? a : b;
          try {
            await runInNotionJob(`late-${id}`, () => r.factory.forToken(token).pages.retrieve({ page_id: pageId }));
            return;
          } catch (err) {
            if (!(err instanceof NotionTurnDeferredError) || first || tries > 50) throw err;
            await sleep(err.retryAfterMs);
          }
        }
      };
      // 20 jobs ask at once: 2 go, 18 are told their turns (up to 3.6 s away) and leave.
      const firsts = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => job(i)));
      const deferred = firsts.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
      expect(deferred).toHaveLength(18);
      const due = Math.max(
        ...firsts.map((r) => (r.status === 'rejected' ? (r.reason as NotionTurnDeferredError).retryAfterMs : 0)),
      );
      // The queue was busy: every one of them comes back late, all at once.
      await sleep(due + 1500);
      await Promise.all(deferred.map((i) => job(i, false)));

      expect(fake.requests.filter((r) => r.token === token && r.status === 200)).toHaveLength(20);
      const times = startsOf(...answers);
      expect(times).toHaveLength(20);
      const windows = [1, 500, 1000, 2000].map((w) => ({ w, seen: maxInWindow(times, w), bound: 2 + (5 * w) / 1000 }));
      expect(windows.filter(({ seen, bound }) => seen > bound)).toEqual([]);
    }, 30_000);
  });

  describe('background priority', () => {
    /** A 50 ms interval keeps these short. */
    const fast = {
      NOTION_RATE_LIMIT_PER_SECOND: '20',
      NOTION_RATE_LIMIT_BURST: '3',
      NOTION_RATE_LIMIT_DEFER_MS: '1000',
    };
    const intervalMs = 50;
    const windows = (times: readonly number[]) =>
      [1, 250, 500, 1000, 2000].map((w) => ({ w, seen: maxInWindow(times, w), bound: 3 + (20 * w) / 1000 }));

    /** Redis's clock in µs: the limiter's own. */
    const redisNow = async () => {
      const [seconds, micros] = await redis.time();
      return Number(seconds) * 1e6 + Number(micros);
    };

    /**
     * A backfill job: background fetches one after another until stopped.
     * Deferred, it leaves and comes back when told (as BullMQ would bring it
     * back). Resolves with how many times it was deferred.
     */
    const backfill = async (r: Replica, token: string, id: string, stopped: () => boolean): Promise<number> => {
      let deferrals = 0;
      while (!stopped()) {
        try {
          await runInNotionJob(
            id,
            async () => {
              while (!stopped()) await r.factory.forToken(token).pages.retrieve({ page_id: pageId });
            },
            { priority: 'background' },
          );
        } catch (err) {
          if (!(err instanceof NotionTurnDeferredError)) throw err;
          deferrals++;
          await sleep(err.retryAfterMs);
        }
      }
      return deferrals;
    };

    it('starts a foreground request within one interval while background saturates the token, on three replicas', async () => {
      const [a, b, c] = [await start(fast), await start(fast), await start(fast)];
      const token = sharedToken();
      await warmUp([a, b, c]);
      const backgroundAnswers = [recordAnswers(a.limiter), recordAnswers(b.limiter)];
      const foregroundAnswers = recordAnswers(c.limiter);
      let stopped = false;
      const loops = [a, b, a, b].map((r, i) => backfill(r, token, `backfill-${i}`, () => stopped));
      await sleep(500);

      // One foreground request at a time, at irregular moments, so each one's answers are its own.
      const waits: Array<{ toldMs: number; wallMs: number }> = [];
      for (let i = 0; i < 15; i++) {
        await sleep(20 + ((i * 37) % 130));
        const from = foregroundAnswers.length;
        const asked = Date.now();
        await c.factory.forToken(token).pages.retrieve({ page_id: otherPageId });
        const wallMs = Date.now() - asked;
        const mine = foregroundAnswers.slice(from);
        expect(mine.filter((x) => x.status === 3)).toEqual([]);
        waits.push({ toldMs: mine.reduce((sum, x) => sum + x.ms, 0), wallMs });
      }
      stopped = true;
      const deferrals = await Promise.all(loops);

      const arrivals = fake.requests.filter((r) => r.token === token);
      const foreground = arrivals.filter((r) => r.path.endsWith(otherPageId));
      const background = arrivals.filter((r) => r.path.endsWith(pageId));
      expect(foreground).toHaveLength(15);
      // The background was saturating: its requests were told to wait for the line.
      expect(backgroundAnswers.flat().filter((x) => x.status === 4).length).toBeGreaterThan(0);
      const starts = startsOf(...backgroundAnswers, foregroundAnswers);
      expect(starts).toHaveLength(arrivals.length);
      expect(windows(starts).filter(({ seen, bound }) => seen > bound)).toEqual([]);
      // The limiter's own answers: no foreground request was told to wait more than one interval.
      expect(waits.filter((w) => w.toldMs > intervalMs)).toEqual([]);
      expect(waits.filter((w) => w.wallMs >= 1000)).toEqual([]);
      const span = (arrivals.at(-1)!.at - arrivals[0]!.at) / 1000;
      console.log(
        `background priority: ${background.length} background and ${foreground.length} foreground starts in ${span.toFixed(2)} s ` +
          `(${((arrivals.length - 1) / span).toFixed(1)}/s of 20/s); foreground told to wait at most ` +
          `${Math.max(...waits.map((w) => w.toldMs))} ms, waited at most ${Math.max(...waits.map((w) => w.wallMs))} ms ` +
          `(request included); background deferrals ${deferrals.join(', ')}`,
      );
    }, 30_000);

    it('runs background alone at the full rate, told to wait at most one interval at a time', async () => {
      const [a, b] = [await start(fast), await start(fast)];
      const token = sharedToken();
      await warmUp([a, b]);
      const answers = [recordAnswers(a.limiter), recordAnswers(b.limiter)];
      let stopped = false;
      const loops = [a, b, a].map((r, i) => backfill(r, token, `alone-${i}`, () => stopped));
      await sleep(2000);
      stopped = true;
      const deferrals = await Promise.all(loops);

      const times = startsOf(...answers);
      expect(times).toHaveLength(fake.requests.filter((r) => r.token === token).length);
      const waitsMs = answers
        .flat()
        .filter((x) => x.status !== 0)
        .map((x) => x.ms);
      // Three loops want more than the rate: they wait, never longer than one interval (rounded up to the ms).
      expect(waitsMs.length).toBeGreaterThan(0);
      expect(Math.max(...waitsMs)).toBeLessThanOrEqual(intervalMs + 1);
      expect(windows(times).filter(({ seen, bound }) => seen > bound)).toEqual([]);
      const rate = (times.length - 1) / ((Math.max(...times) - Math.min(...times)) / 1000);
      expect(rate).toBeGreaterThan(0.8 * 20);
      console.log(
        `background alone: ${times.length} starts at ${rate.toFixed(1)}/s of 20/s; deferrals ${deferrals.join(', ')}`,
      );
    }, 30_000);

    it('makes background wait until every reserved foreground turn has come, and holds nothing for it', async () => {
      const { limiter } = await start(fast);
      const token = newToken();
      const bucket = limiter.keyFor(token);
      const reserved: number[] = [];
      for (let i = 0; i < 20; i++) reserved.push(await limiter.turn(token, { reservation: `fg-${i}`, patienceMs: 0 }));
      expect(reserved.slice(0, 3)).toEqual([0, 0, 0]);
      const slots = await Promise.all(reserved.slice(3).map((_, i) => redis.get(`${bucket}:turn:fg-${i + 3}`)));
      const lastSlot = Math.max(...slots.map(Number));

      // Asked now, background is told to come back once the line is idle: after the last reserved turn.
      const hint = await limiter.turn(token, { reservation: 'bg', priority: 'background', patienceMs: 0 });
      const askedBy = await redisNow();
      const tat = Number(await redis.hget(bucket, 'tat'));
      expect(tat).toBeGreaterThanOrEqual(lastSlot + intervalMs * 1000);
      expect(askedBy + hint * 1000).toBeGreaterThanOrEqual(tat);
      expect(await redis.exists(`${bucket}:turn:bg`)).toBe(0);

      // The foreground jobs come back for their turns; background waits in place meanwhile.
      const answers = recordAnswers(limiter);
      const claims = reserved.slice(3).map(async (ms, i) => {
        await sleep(ms);
        return limiter.turn(token, { reservation: `fg-${i + 3}`, patienceMs: 1000 });
      });
      const backgroundStart = limiter
        .turn(token, { priority: 'background', patienceMs: 5000 })
        .then(async (ms) => ({ ms, at: await redisNow() }));
      expect(await Promise.all(claims)).toEqual(Array(17).fill(0));
      const started = await backgroundStart;
      expect(started.ms).toBe(0);
      expect(started.at).toBeGreaterThanOrEqual(lastSlot + intervalMs * 1000);
      // Background only ever asked whether the line was idle, and waited: it took no place in it.
      const idle = answers.filter((x) => x.op === 'idle').map((x) => x.status);
      expect(idle.length).toBeGreaterThan(1);
      expect(idle.at(-1)).toBe(0);
      expect(idle.slice(0, -1).every((status) => status === 4)).toBe(true);
      expect(await redis.keys(`${bucket}:turn:*`)).toEqual([]);
    });

    it('leaves the bucket to foreground turns claimed late, though their places in line are past', async () => {
      const { limiter } = await start(fast);
      const token = newToken();
      for (let i = 0; i < 3; i++) await limiter.acquire(token);
      for (let i = 0; i < 4; i++)
        expect(await limiter.turn(token, { reservation: `late-${i}`, patienceMs: 0 })).toBeGreaterThan(0);
      // Every turn is past and the bucket full again when the four jobs come back, all at once.
      await sleep(8 * intervalMs);
      const answers = recordAnswers(limiter);
      const claims = Array.from({ length: 4 }, (_, i) =>
        limiter.turn(token, { reservation: `late-${i}`, patienceMs: 1000 }),
      );
      const background = limiter.turn(token, { priority: 'background', patienceMs: 1000 });
      expect(await Promise.all([...claims, background])).toEqual([0, 0, 0, 0, 0]);

      // The line was idle (its turns past), but the bucket was not full: the fourth job
      // waited one interval for a token, background until the bucket was full again.
      const fourth = answers.find((x) => x.op === 'turn' && x.status === 2);
      const firstIdle = answers.find((x) => x.op === 'idle');
      expect(fourth?.ms).toBeLessThanOrEqual(intervalMs + 1);
      expect(firstIdle?.status).toBe(4);
      expect(firstIdle!.ms).toBeGreaterThan(2 * intervalMs);
    });

    it('holds background back while Notion has paused the token', async () => {
      const { limiter } = await start(fast);
      const token = newToken();
      await limiter.pause(token, 500);
      const hint = await limiter.turn(token, { priority: 'background', patienceMs: 0 });
      const askedBy = await redisNow();
      const pausedUntil = Number(await redis.hget(limiter.keyFor(token), 'until'));
      expect(hint).toBeGreaterThan(0);
      expect(askedBy + hint * 1000).toBeGreaterThanOrEqual(pausedUntil);
    });
  });
});

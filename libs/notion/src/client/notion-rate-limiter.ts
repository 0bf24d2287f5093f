import { createHash } from 'node:crypto';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '@app/config';
import { redisConnectionOptions } from '@app/messaging';
import { NotionLimiterUnavailableError, NotionRateLimitedError } from './notion-errors.js';
import type { NotionPriority } from './notion-job-scope.js';

/**
 * Two views of one integration token's rate limit, kept in a Redis hash and
 * updated atomically; Redis `TIME` is the clock (the replicas' clocks differ),
 * in microseconds.
 *
 * - The schedule (`tat`, a GCRA "theoretical arrival time"): every request
 *   takes the next place in line, `burst` at once and then one every
 *   1/rate s. A place in the future is a reserved turn: a job that cannot
 *   wait for it in a worker slot stores it under its own key (KEYS[2], with
 *   ARGV[5] = 1) and comes back then; its turn is honoured, not contested
 *   again by requests that arrived meanwhile. An unclaimed reservation expires
 *   ARGV[6] ms after its time; the place it took in the line is simply gone.
 * - The bucket (`tokens`, refilled at ARGV[2] per second up to ARGV[1]):
 *   charged only when a request really starts, so however late a reserved
 *   turn is claimed, at most burst + rate × T requests start in any T seconds.
 *
 * ARGV[3] is the operation: `turn` (claim the caller's reserved turn, or take
 * a new place; then start if the bucket allows), `start` (the caller's place
 * came: start if the bucket allows), `idle` (a background request: start only
 * if the line is idle, `tat <= now`, and the bucket full, so that no
 * foreground request is waiting for a place or a token; otherwise take
 * nothing and answer when that will be, at the earliest) or `pause` (Notion
 * said 429: hold every start back for ARGV[4] ms, and put new places after
 * that). ARGV[4] is how long the caller would wait in place (ms); beyond it
 * the answer is LATER, and only a caller with a reservation key keeps the
 * place it was given.
 *
 * A background start moves `tat` to now + 1/rate: alone, background runs at
 * the full rate (the bucket refills what it takes), and a foreground request
 * arriving meanwhile still finds a place at once (`tat` - (burst - 1)/rate <=
 * now when burst > 1; one interval off when burst = 1) and a token at once
 * (burst - 1 left).
 *
 * Returns {status, ms, at}: 0 start now; 1 sleep ms, then `turn` again (keyed) or
 * `start`; 2 sleep ms, then `start`; 3 not now: come back in ms; 4 sleep ms,
 * then `idle` again (nothing was taken). `at` is Redis's clock (ms) at the
 * decision: the limiter's bound holds on these times, which its specs check
 * (a request's arrival at Notion adds the network's jitter). A key left alone until the bucket is
 * full and the line empty expires.
 */
const TURN = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local capacity = tonumber(ARGV[1])
local perUs = tonumber(ARGV[2]) / 1000000
local op = ARGV[3]
local patience = tonumber(ARGV[4]) * 1000
local keyed = ARGV[5] == '1'
local graceMs = tonumber(ARGV[6])
local interval = 1 / perUs
local s = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'until', 'tat')
local tokens = math.min(tonumber(s[1]) or capacity, capacity)
local ts = tonumber(s[2]) or now
local pausedUntil = tonumber(s[3]) or 0
local tat = tonumber(s[4]) or now
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * perUs)
  ts = now
end
local GO, WAIT_TURN, WAIT_START, LATER, WAIT_IDLE = 0, 1, 2, 3, 4
local f = '%.17g'

local function place(notBefore)
  local slot = math.max(now, tat - (capacity - 1) * interval, pausedUntil, notBefore)
  local wait = slot - now
  if not keyed and wait > patience then return LATER, wait end
  tat = math.max(tat, slot) + interval
  if wait <= 0 then return GO, 0 end
  if keyed then
    redis.call('SET', KEYS[2], string.format(f, slot), 'PX', math.ceil(wait / 1000) + graceMs)
  end
  if wait <= patience then return WAIT_TURN, wait end
  return LATER, wait
end

local function start()
  local wait = 0
  if now < pausedUntil then
    wait = pausedUntil - now
  elseif tokens < 1 then
    wait = (1 - tokens) / perUs
  end
  if wait == 0 then
    tokens = tokens - 1
    return GO, 0
  end
  if wait <= patience then return WAIT_START, wait end
  -- Turns claimed late can bunch up: rather than wait here, a later place in line.
  if keyed then return place(now + wait) end
  return LATER, wait
end

local function idle()
  local wait = math.max(0, tat - now, pausedUntil - now, (capacity - tokens) / perUs)
  -- Below the clock's resolution (1 µs): the float rounding of a refill, not a wait.
  if wait < 1 then
    tat = now + interval
    tokens = tokens - 1
    return GO, 0
  end
  if wait <= patience then return WAIT_IDLE, wait end
  return LATER, wait
end

local status, wait = GO, 0
if op == 'pause' then
  pausedUntil = math.max(pausedUntil, now + patience)
  tat = math.max(tat, pausedUntil)
elseif op == 'start' then
  status, wait = start()
elseif op == 'idle' then
  status, wait = idle()
else
  local held = keyed and tonumber(redis.call('GET', KEYS[2]))
  if held and held > now then
    wait = held - now
    status = wait <= patience and WAIT_TURN or LATER
  else
    if held then
      redis.call('DEL', KEYS[2])
    else
      status, wait = place(0)
    end
    if status == GO then status, wait = start() end
  end
end
redis.call('HSET', KEYS[1], 'tokens', string.format(f, tokens), 'ts', string.format(f, ts),
  'until', string.format(f, pausedUntil), 'tat', string.format(f, tat))
local keepUs = math.max(capacity / perUs, pausedUntil - now, tat - now)
redis.call('PEXPIRE', KEYS[1], math.ceil(keepUs / 1000) + 1000)
return {status, math.ceil(wait / 1000), math.floor(now / 1000)}
`;

const enum Status {
  Go = 0,
  WaitTurn = 1,
  WaitStart = 2,
  Later = 3,
  WaitIdle = 4,
}

type Op = 'turn' | 'start' | 'idle' | 'pause';

interface LimiterCommands {
  notionRateTurn(
    bucket: string,
    reservation: string,
    capacity: number,
    perSecond: number,
    op: Op,
    ms: number,
    keyed: '0' | '1',
    graceMs: number,
  ): Promise<[Status, number, number]>;
}

/** The longest a 429's `Retry-After` may hold back every replica's requests. */
const MAX_PAUSE_MS = 60_000;
/** An outage warning is repeated at most this often. */
const WARN_EVERY_MS = 60_000;
/**
 * How long after its time a reserved turn may still be claimed. A job comes
 * back late when the queue ahead of it is long; past this it takes a new place.
 */
const RESERVATION_GRACE_MS = 60_000;
/** "Wait as long as it takes" (Redis parses it as a number). */
const FOREVER_MS = 2 ** 31;

/** First 32 hex digits of the token's SHA-256: names its bucket and cached client, never the token itself. */
export function notionTokenId(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 32);
}

/**
 * A job's first request (any request of a background job) would wait longer
 * than `NOTION_RATE_LIMIT_DEFER_MS` for its turn: the job should leave its
 * worker slot and come back when it is due (`retryAfterMs`), like after a 429.
 * A foreground job's turn is reserved for it meanwhile; a background job holds
 * nothing and `retryAfterMs` is when the line should be idle, at the earliest.
 */
export class NotionTurnDeferredError extends NotionRateLimitedError {
  constructor(retryAfterMs: number) {
    super(retryAfterMs, "Waiting for its turn at the integration's rate limit");
    this.name = 'NotionTurnDeferredError';
  }
}

export interface TurnOptions {
  /**
   * Names the caller's reserved turn (a job id): a turn that cannot be waited
   * for now is kept under it, and claimed by the next `turn` with the same name.
   */
  readonly reservation?: string;
  /**
   * `foreground` (the default) takes the next place in line. `background`
   * starts only when the line is idle and holds nothing while it waits: it
   * never takes a place ahead of a foreground request, never reserves a turn
   * (`reservation` is ignored) and gives the token's whole rate to foreground
   * work whenever there is any.
   */
  readonly priority?: NotionPriority;
  /** The longest the caller waits in place; beyond it `turn` answers how long to come back after. */
  readonly patienceMs: number;
  readonly signal?: AbortSignal;
}

/**
 * Paces requests per integration token across every process that shares the
 * Redis: at most `notion.burst` + `notion.ratePerSecond` × T requests start in
 * any interval of T seconds (the bucket is charged when a request starts), and
 * foreground requests take their turns in the order they asked (the schedule),
 * whether they wait in place or leave and come back at a reserved time;
 * background requests take only the turns left idle. Fails closed:
 * when Redis cannot be asked, it rejects rather than letting a request through
 * unpaced.
 */
@Injectable()
export class NotionRateLimiter implements OnApplicationShutdown {
  private readonly logger = new Logger(NotionRateLimiter.name);
  private readonly redis: Redis & LimiterCommands;
  /** Callers sleeping until their turn: woken (to fail) at shutdown. */
  private readonly sleepers = new Set<() => void>();
  private warnedAt: number | undefined;

  constructor(private readonly config: AppConfig) {
    const redis = new Redis({
      ...redisConnectionOptions(config.redis.url),
      lazyConnect: true,
      // A bounded wait for each decision: queued while reconnecting, then failed.
      maxRetriesPerRequest: 3,
      connectTimeout: 2000,
      commandTimeout: 2000,
      // How long disconnect() waits for a socket that never closes cleanly (a
      // refused one): ioredis's 2 s default keeps a stopping process alive.
      disconnectTimeout: 200,
    });
    redis.defineCommand('notionRateTurn', { numberOfKeys: 2, lua: TURN });
    redis.on('error', (err: Error) => this.reportOutage(err));
    redis.on('ready', () => {
      if (this.warnedAt === undefined) return;
      this.warnedAt = undefined;
      this.logger.log('Redis reconnected');
    });
    this.redis = redis as Redis & LimiterCommands;
  }

  /** The Redis key of a token's bucket (holds a hash of the token, never the token). */
  keyFor(token: string): string {
    return `${this.config.redis.keyPrefix}:notion-rate:${notionTokenId(token)}`;
  }

  /**
   * Resolves once a request with `token` may start, however long that takes.
   * Rejects with `NotionLimiterUnavailableError` when Redis cannot be asked,
   * and with `signal.reason` when the signal aborts first.
   */
  async acquire(token: string, signal?: AbortSignal): Promise<void> {
    await this.turn(token, { patienceMs: FOREVER_MS, signal });
  }

  /**
   * Takes a turn for one request with `token`: resolves with 0 once it may
   * start (after waiting up to `patienceMs` in place), or with how many ms
   * from now to come back when its turn is further off. With a `reservation`,
   * that turn is kept for it (for `RESERVATION_GRACE_MS` past its time);
   * without one, nothing is held. A `background` request waits for the line to
   * go idle, asking again when told, and answers with when it should be idle
   * (at the earliest) if that is beyond `patienceMs`.
   */
  async turn(
    token: string,
    { reservation, priority = 'foreground', patienceMs, signal }: TurnOptions,
  ): Promise<number> {
    if (signal?.aborted) throw signal.reason;
    const bucket = this.keyFor(token);
    const background = priority === 'background';
    const held = reservation === undefined || background ? undefined : `${bucket}:turn:${reservation}`;
    // The patience covers every wait of this request, not each one.
    const deadline = Date.now() + patienceMs;
    let [status, ms] = await this.call(bucket, held, background ? 'idle' : 'turn', patienceMs);
    for (;;) {
      if (status === Status.Go) return 0;
      if (status === Status.Later) return ms;
      await this.sleep(ms, signal);
      const op = status === Status.WaitIdle ? 'idle' : status === Status.WaitTurn && held ? 'turn' : 'start';
      [status, ms] = await this.call(bucket, held, op, deadline - Date.now());
    }
  }

  /**
   * Holds back every request with `token`, in every replica, for `ms`
   * (capped at a minute): Notion said 429 with `Retry-After`.
   */
  async pause(token: string, ms: number): Promise<void> {
    const pauseMs = Math.min(Math.ceil(ms), MAX_PAUSE_MS);
    if (pauseMs > 0) await this.call(this.keyFor(token), undefined, 'pause', pauseMs);
  }

  /** Closes the connection; callers still waiting are woken and rejected. */
  onApplicationShutdown(): void {
    this.redis.disconnect();
    for (const wake of this.sleepers) wake();
  }

  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const settle = (err?: unknown) => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        signal?.removeEventListener('abort', abort);
        if (err === undefined) resolve();
        else reject(err);
      };
      const wake = () => settle();
      const abort = () => settle(signal!.reason);
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  private async call(bucket: string, reservation: string | undefined, op: Op, ms: number): Promise<[Status, number]> {
    const { burst, ratePerSecond } = this.config.notion;
    try {
      const [status, wait] = await this.redis.notionRateTurn(
        bucket,
        reservation ?? bucket,
        burst,
        ratePerSecond,
        op,
        Math.max(0, Math.ceil(ms)),
        reservation === undefined ? '0' : '1',
        RESERVATION_GRACE_MS,
      );
      return [status, wait];
    } catch (err) {
      throw new NotionLimiterUnavailableError(err);
    }
  }

  /** ioredis reports every failed reconnect: warn once when an outage starts, then once a minute. */
  private reportOutage(err: Error): void {
    const now = Date.now();
    if (this.warnedAt !== undefined && now - this.warnedAt < WARN_EVERY_MS) return;
    this.warnedAt = now;
    this.logger.warn(`Redis unavailable for the Notion rate limiter (${err.message}); reconnecting`);
  }
}

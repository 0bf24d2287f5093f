/** How an `InFlightBatcher` forms its calls. */
export interface InFlightBatchOptions<T> {
  /** Items sent in one call at most. */
  readonly max: number;
  /**
   * Items with the same key never share a call: the later one waits for the
   * next, in arrival order (e.g. two writes of one row in one statement).
   */
  readonly keyOf?: (item: T) => string;
}

interface Waiting<T, R> {
  readonly item: T;
  readonly resolve: (result: R) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Sends items one call at a time, and the items that arrive while a call is
 * in flight together in the next one. An item never waits for a timer: the
 * first goes at once, so a quiet process pays no added latency, and a busy
 * one makes one round trip (and one commit) for many items. `send` answers
 * one result per item, in order. When a call with several items fails, each
 * is sent again alone, so one bad item fails only its own caller.
 */
export class InFlightBatcher<T, R> {
  private readonly waiting: Waiting<T, R>[] = [];
  private draining = false;

  constructor(
    private readonly send: (items: readonly T[]) => Promise<readonly R[]>,
    private readonly options: InFlightBatchOptions<T>,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.waiting.length > 0) await this.call(this.nextBatch());
    } finally {
      this.draining = false;
    }
  }

  private nextBatch(): Waiting<T, R>[] {
    const { max, keyOf } = this.options;
    const batch: Waiting<T, R>[] = [];
    const keys = new Set<string>();
    for (let i = 0; i < this.waiting.length && batch.length < max;) {
      const key = keyOf?.(this.waiting[i]!.item);
      if (key !== undefined && keys.has(key)) {
        i++;
        continue;
      }
      if (key !== undefined) keys.add(key);
      batch.push(...this.waiting.splice(i, 1));
    }
    return batch;
  }

  private async call(batch: readonly Waiting<T, R>[]): Promise<void> {
    try {
      const results = await this.send(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      for (const waiting of batch) await this.call([waiting]);
    }
  }
}

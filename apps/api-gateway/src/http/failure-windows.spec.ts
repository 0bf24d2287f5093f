import { describe, expect, it } from '@jest/globals';
import { FailureWindows } from './failure-windows.js';

describe('FailureWindows', () => {
  const setUp = () => {
    let clock = 1_000_000;
    const limiter = new FailureWindows(3, 60_000, { now: () => clock });
    return { limiter, advance: (ms: number) => (clock += ms) };
  };

  it('lets a client fail up to the limit, then refuses it until its window ends', () => {
    const { limiter, advance } = setUp();
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0);
    expect([1, 2, 3].map(() => limiter.recordFailure('10.0.0.1'))).toEqual([false, false, true]);
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(60);
    advance(59_001);
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(1);
    advance(999);
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0);
    // A fresh window: three more tries.
    expect(limiter.recordFailure('10.0.0.1')).toBe(false);
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0);
  });

  it('counts each client on its own', () => {
    const { limiter } = setUp();
    for (let i = 0; i < 3; i++) limiter.recordFailure('10.0.0.1');
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBeGreaterThan(0);
    expect(limiter.retryAfterSeconds('10.0.0.2')).toBe(0);
  });

  it('keeps its window from the first failure: failures spread over it still add up', () => {
    const { limiter, advance } = setUp();
    limiter.recordFailure('c');
    advance(30_000);
    limiter.recordFailure('c');
    advance(29_000);
    limiter.recordFailure('c');
    expect(limiter.retryAfterSeconds('c')).toBe(1);
  });

  it('stays bounded under a spray of addresses', () => {
    const { limiter } = setUp();
    for (let i = 0; i < 25_000; i++) limiter.recordFailure(`client-${i}`);
    expect((limiter as unknown as { windows: Map<string, unknown> }).windows.size).toBeLessThanOrEqual(10_000);
  });
});

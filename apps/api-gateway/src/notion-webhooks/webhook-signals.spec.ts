import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { BusEvent, type NotionWebhooksReceivedEvent } from '@app/contracts';
import type { EventBus } from '@app/messaging';
import { MAX_SIGNAL_BATCH, SIGNAL_WINDOW_MS, WebhookSignals } from './webhook-signals.js';

const delivery = (n: number) => ({ deliveryId: `d${n}`, projectId: 'p', correlationId: `c${n}` });

describe('WebhookSignals', () => {
  let published: Array<[string, NotionWebhooksReceivedEvent]>;
  let signals: WebhookSignals;

  beforeEach(() => {
    jest.useFakeTimers();
    published = [];
    const bus = { emit: (event: string, payload: NotionWebhooksReceivedEvent) => published.push([event, payload]) };
    signals = new WebhookSignals(bus as unknown as EventBus);
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it("publishes the deliveries of one window in one message, in order, once the window's time is up", () => {
    signals.received(delivery(1));
    signals.received(delivery(2));
    jest.advanceTimersByTime(SIGNAL_WINDOW_MS - 1);
    expect(published).toEqual([]);
    signals.received(delivery(3));
    jest.advanceTimersByTime(1);
    expect(published).toEqual([
      [BusEvent.NotionWebhooksReceived, { deliveries: [delivery(1), delivery(2), delivery(3)] }],
    ]);
    // The next delivery opens a new window.
    signals.received(delivery(4));
    jest.advanceTimersByTime(SIGNAL_WINDOW_MS);
    expect(published.map(([, p]) => p.deliveries.map((d) => d.deliveryId))).toEqual([['d1', 'd2', 'd3'], ['d4']]);
    jest.advanceTimersByTime(10 * SIGNAL_WINDOW_MS);
    expect(published).toHaveLength(2);
  });

  it('publishes a full batch at once, without waiting for the window', () => {
    for (let i = 0; i < MAX_SIGNAL_BATCH + 1; i++) signals.received(delivery(i));
    expect(published).toHaveLength(1);
    expect(published[0]![1].deliveries).toHaveLength(MAX_SIGNAL_BATCH);
    jest.advanceTimersByTime(SIGNAL_WINDOW_MS);
    expect(published.map(([, p]) => p.deliveries.length)).toEqual([MAX_SIGNAL_BATCH, 1]);
  });

  it('publishes what is pending before the transport closes on shutdown', () => {
    signals.received(delivery(1));
    signals.beforeApplicationShutdown();
    expect(published).toHaveLength(1);
    signals.beforeApplicationShutdown();
    jest.advanceTimersByTime(SIGNAL_WINDOW_MS);
    expect(published).toHaveLength(1);
  });
});

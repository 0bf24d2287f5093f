import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FeedAdvance } from '@app/contracts';
import { FeedAnnouncer, FeedListener } from '@app/messaging';
import { testConfig } from '../../../test/jest/test-env.js';

/** The writers' announcements and a gateway's listener, on the real Redis (this run's channel prefix). */
describe('FeedAnnouncer and FeedListener', () => {
  const config = testConfig();
  const heard: FeedAdvance[][] = [];
  let batch: FeedAdvance[] = [];
  let listener: FeedListener;
  let announcer: FeedAnnouncer;

  beforeAll(async () => {
    listener = new FeedListener(config, (advance) => {
      batch.push(advance);
      // Advances of one message arrive in one turn: close the batch on the next.
      if (batch.length === 1) {
        setImmediate(() => {
          heard.push(batch);
          batch = [];
        });
      }
    });
    await listener.start();
    announcer = new FeedAnnouncer(config);
  });

  afterAll(() => {
    announcer.onApplicationShutdown();
    listener.stop();
  });

  const until = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(check()).toBe(true);
  };

  it('publishes a few milliseconds of writes as one message, one entry per project with its oldest receipt', async () => {
    announcer.advanced('p1', 2000);
    announcer.advanced('p2');
    announcer.advanced('p1', 1000);
    announcer.advanced('p1');
    announcer.advanced('p2', 3000);
    await until(() => heard.length === 1);
    expect(heard[0]).toEqual([
      { projectId: 'p1', receivedAt: 1000 },
      { projectId: 'p2', receivedAt: 3000 },
    ]);
  });

  it('sends what is pending at shutdown, and a listener on another prefix hears nothing', async () => {
    const elsewhere: FeedAdvance[] = [];
    const other = new FeedListener(
      testConfig({ REDIS_CHANNEL_PREFIX: `${config.redis.channelPrefix}other:` }),
      (advance) => elsewhere.push(advance),
    );
    await other.start();
    const closing = new FeedAnnouncer(config);
    closing.advanced('p3');
    closing.onApplicationShutdown();
    await until(() => heard.some((b) => b.some((a) => a.projectId === 'p3')));
    other.stop();
    expect(elsewhere).toEqual([]);
  });
});

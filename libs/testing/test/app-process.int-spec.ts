import { describe, expect, it } from '@jest/globals';
import { AppProcess, freePort } from '@app/testing';
import { processEnv } from '../../../test/jest/test-env.js';

describe('AppProcess.waitForReady', () => {
  it('fails as soon as the app exits, with its output, instead of waiting out its timeout', async () => {
    // An invalid variable: the job-worker prints why and exits 1 at boot.
    const app = AppProcess.start('job-worker', processEnv({ JOB_WORKER_HEALTH_PORT: 'not-a-port' }));
    try {
      const port = await freePort();
      const failure = await app.waitForReady(port, 120_000).then(
        () => undefined,
        (err: Error) => err,
      );
      expect(failure?.message).toMatch(/^job-worker exited before it was ready:\n[\s\S]*JOB_WORKER_HEALTH_PORT/);
      expect((await app.exited).code).toBe(1);
    } finally {
      await app.stop('SIGKILL');
    }
  });
});

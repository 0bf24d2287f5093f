import type { AppConfig } from '@app/config';
import { AppProcess, freePort } from '@app/testing';
import { apiUser, type ApiCall } from './api-client.js';
import { processEnv } from './test-env.js';

/** The three built apps of a spec, ready, and a user of their API. */
export interface ThreeApps {
  /** Gateway, event-worker, job-worker. */
  readonly apps: AppProcess[];
  readonly call: ApiCall;
}

/**
 * Starts the gateway, the event-worker and the job-worker (built, each its
 * own process on free ports) against a fake Notion at `notionUrl`, and waits
 * until each is ready.
 */
export async function startThreeApps(config: AppConfig, notionUrl: string): Promise<ThreeApps> {
  const [port, eventPort, jobPort] = [await freePort(), await freePort(), await freePort()];
  const shared = { NOTION_API_BASE_URL: notionUrl, PUBLIC_BASE_URL: `http://127.0.0.1:${port}` };
  const apps = [
    AppProcess.start('api-gateway', processEnv({ ...shared, PORT: String(port) })),
    AppProcess.start('event-worker', processEnv({ ...shared, EVENT_WORKER_HEALTH_PORT: String(eventPort) })),
    AppProcess.start('job-worker', processEnv({ ...shared, JOB_WORKER_HEALTH_PORT: String(jobPort) })),
  ];
  await Promise.all([apps[0]!.waitForReady(port), apps[1]!.waitForReady(eventPort), apps[2]!.waitForReady(jobPort)]);
  return { apps, call: apiUser(config, `http://127.0.0.1:${port}/api/v1`) };
}

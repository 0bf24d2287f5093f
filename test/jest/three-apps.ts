import type { AppConfig } from '@app/config';
import { AppProcess, freePort } from '@app/testing';
import { apiUser, type ApiCall } from './api-client.js';
import { processEnv } from './test-env.js';

/** The three built apps of a spec, ready, and a user of their API. */
export interface ThreeApps {
  /** Gateway, event-worker, job-worker. */
  readonly apps: AppProcess[];
  readonly call: ApiCall;
  /** The gateway's origin (`http://127.0.0.1:<port>`), its `PUBLIC_BASE_URL`. */
  readonly origin: string;
  /** Starts another gateway on the first one's port with its environment (once that one has stopped), ready. */
  startGateway(): Promise<AppProcess>;
}

/**
 * Starts the gateway, the event-worker and the job-worker (built, each its
 * own process on free ports) against a fake Notion at `notionUrl`, with
 * `overrides` in every app's environment, and waits until each is ready.
 */
export async function startThreeApps(
  config: AppConfig,
  notionUrl: string,
  overrides: Record<string, string> = {},
): Promise<ThreeApps> {
  const [port, eventPort, jobPort] = [await freePort(), await freePort(), await freePort()];
  const shared = { NOTION_API_BASE_URL: notionUrl, PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, ...overrides };
  const gatewayEnv = processEnv({ ...shared, PORT: String(port) });
  const apps = [
    AppProcess.start('api-gateway', gatewayEnv),
    AppProcess.start('event-worker', processEnv({ ...shared, EVENT_WORKER_HEALTH_PORT: String(eventPort) })),
    AppProcess.start('job-worker', processEnv({ ...shared, JOB_WORKER_HEALTH_PORT: String(jobPort) })),
  ];
  await Promise.all([apps[0]!.waitForReady(port), apps[1]!.waitForReady(eventPort), apps[2]!.waitForReady(jobPort)]);
  return {
    apps,
    call: apiUser(config, `http://127.0.0.1:${port}/api/v1`),
    origin: `http://127.0.0.1:${port}`,
    async startGateway() {
      const gateway = AppProcess.start('api-gateway', gatewayEnv);
      await gateway.waitForReady(port);
      return gateway;
    },
  };
}

import { afterAll, describe, expect, it } from '@jest/globals';
import { freePort, waitFor } from '@app/testing';
import { isolatedEnv, type IsolatedEnv } from './jest/isolated-env.js';
import { TerminalCommand } from './jest/terminal-command.js';
import { SERVER_URLS } from './jest/test-env.js';

const APPS = ['api-gateway', 'event-worker', 'job-worker'];

/** What `npm start` may print from start to ready at the default log level, and nothing else. */
const ALLOWED_BEFORE_BANNER = [
  /^$/,
  /^> notion-sync@\S+ start$/, // npm's own lines
  /^> node scripts\/start\.mjs$/,
  /^Building the apps \(.*\)\.\.\.$/, // the build's start and end, when it builds
  /^Built in \d+(\.\d+)? s$/,
  ...APPS.map((app) => new RegExp(`^\\[${app}\\] .*\\b${app} ready: `)), // one ready line per app
];

// eslint-disable-next-line no-control-regex
const stripColours = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');

/**
 * `npm start` as a user runs it (development, the default log level), on ports
 * and a database of the spec's own: from start to ready it says only what a
 * user needs, then one banner; Ctrl-C stops it cleanly.
 */
describe('npm start', () => {
  let start: TerminalCommand | undefined;
  let isolated: IsolatedEnv | undefined;

  afterAll(async () => {
    await start?.stop();
    await isolated?.dispose();
  });

  it('prints the build, one ready line per app and one banner, and nothing else, until it is ready', async () => {
    isolated = await isolatedEnv('start');
    const ports = {
      PORT: await freePort(),
      ADMIN_PORT: await freePort(),
      EVENT_WORKER_HEALTH_PORT: await freePort(),
      JOB_WORKER_HEALTH_PORT: await freePort(),
    };
    const env: Record<string, string | undefined> = {
      ...process.env,
      ...isolated.env,
      ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
      REDIS_URL: SERVER_URLS.redis,
      NODE_ENV: 'development',
      LOG_LEVEL: undefined,
    };
    delete env.LOG_LEVEL;
    start = new TerminalCommand('npm', ['start'], env);
    const proc = start;
    await waitFor(() => proc.output.includes('Ctrl-C stops all three.'), {
      timeoutMs: 120_000,
      what: 'the banner',
    }).catch((err: Error) => {
      throw new Error(`${err.message}; npm start printed:\n${proc.output}`);
    });
    const lines = stripColours(proc.output).split('\n');
    const bannerAt = lines.findIndex((line) => line.startsWith('notion-sync is ready'));
    const bannerEnd = lines.indexOf('Ctrl-C stops all three.');
    expect(bannerAt).toBeGreaterThan(0);
    const before = lines.slice(0, bannerAt);
    expect(before.filter((line) => !ALLOWED_BEFORE_BANNER.some((pattern) => pattern.test(line)))).toEqual([]);
    for (const app of APPS) {
      expect(before.filter((line) => line.includes(`${app} ready: `))).toHaveLength(1);
    }

    const banner = lines.slice(bannerAt, bannerEnd + 1);
    const api = `http://127.0.0.1:${ports.PORT}`;
    expect(banner.join('\n')).toContain(`${api}/api/v1`);
    expect(banner.join('\n')).toContain(`${api}/docs`);
    expect(banner.join('\n')).toContain('npm run --silent token -- --sub');
    expect(banner.join('\n')).toContain('npm run demo');
    expect(banner.join('\n')).toMatch(/database +notion_sync_test_start_\w+ \(up to date\)/);
    // About 15 lines in all, npm's included.
    expect(lines.slice(0, bannerEnd + 1).filter((line) => line.trim()).length).toBeLessThanOrEqual(18);

    // What the banner points at answers.
    expect((await fetch(`${api}/docs`)).status).toBe(200);

    proc.interrupt();
    expect([
      { code: 0, signal: null },
      { code: null, signal: 'SIGINT' },
    ]).toContainEqual(await proc.exited);
    // Each app drained and exited 0, and start.mjs with them.
    for (const app of APPS) expect(stripColours(proc.output)).toMatch(new RegExp(`\\[${app}\\] .* exited with code 0`));
  }, 180_000);
});

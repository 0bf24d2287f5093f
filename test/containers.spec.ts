/**
 * Static checks of the container files (Dockerfile, docker-compose.yml): they
 * need no Docker engine, only the files and package.json, so a compose or
 * Dockerfile edit that would break `docker compose up` fails here first.
 */
import { describe, it, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ENV_SCHEMA } from '../libs/config/src/env.schema.js';

const read = (path: string): string => readFileSync(new URL(path, import.meta.url), 'utf8');

interface Healthcheck {
  test?: string | string[];
}
interface DependsOn {
  condition?: string;
}
interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string> | string[];
  depends_on?: Record<string, DependsOn> | string[];
  healthcheck?: Healthcheck;
  ports?: (string | { target?: number; published?: number | string })[];
  restart?: string;
}

// `merge: true` resolves the `<<: *app` merge keys as Compose does.
const compose = parse(read('../docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const scripts = (JSON.parse(read('../package.json')) as { scripts: Record<string, string> }).scripts;

/** The apps, and the variable (with its default in env.schema.ts) that sets the port each listens on. */
const APPS = {
  'api-gateway': { portVar: 'PORT', port: 3000 },
  'event-worker': { portVar: 'EVENT_WORKER_HEALTH_PORT', port: 3001 },
  'job-worker': { portVar: 'JOB_WORKER_HEALTH_PORT', port: 3002 },
} as const;
const appNames = Object.keys(APPS) as (keyof typeof APPS)[];

const words = (value: string | string[] | undefined): string =>
  Array.isArray(value) ? value.join(' ') : (value ?? '');

function environment(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(env.map((entry) => [entry.split('=')[0], entry.slice(entry.indexOf('=') + 1)]));
}

/** The port an app listens on inside its container: its compose variable, else the schema default. */
function listenPort(app: keyof typeof APPS): number {
  const { portVar } = APPS[app];
  return Number(environment(services[app])[portVar] ?? ENV_SCHEMA[portVar].default);
}

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

/** The Dockerfile's stages, with continuation lines joined and comments dropped. */
function dockerfileStages(): Stage[] {
  const instructions = read('../Dockerfile')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line): Instruction => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.op === 'FROM') {
      const [image, as, name] = instruction.args.split(/\s+/);
      stages.push({ image, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

const stages = dockerfileStages();
const finalStage = stages[stages.length - 1];
const inFinal = (op: string): string[] => finalStage.instructions.filter((i) => i.op === op).map((i) => i.args);

describe('docker-compose.yml', () => {
  it('defines exactly postgres, redis, migrate and the three apps', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['api-gateway', 'event-worker', 'job-worker', 'migrate', 'postgres', 'redis'].sort(),
    );
  });

  it('runs Postgres 17', () => {
    expect(services.postgres.image).toMatch(/^postgres:17(?:[.-]|$)/);
  });

  it('runs Redis 7 with noeviction and the append-only file (BullMQ needs both)', () => {
    expect(services.redis.image).toMatch(/^redis:7(?:[.-]|$)/);
    const command = words(services.redis.command);
    expect(command).toMatch(/--maxmemory-policy noeviction\b/);
    expect(command).toMatch(/--appendonly yes\b/);
  });

  it('gives every long-running service a healthcheck with a test command', () => {
    for (const [name, service] of Object.entries(services)) {
      if (name === 'migrate') continue;
      expect({ name, test: words(service.healthcheck?.test) }).toEqual({ name, test: expect.stringMatching(/\S/) });
    }
  });

  it('starts each app only once Postgres and Redis are healthy and migrate has succeeded', () => {
    for (const app of appNames) {
      expect({ app, depends_on: services[app].depends_on }).toMatchObject({
        app,
        depends_on: {
          postgres: { condition: 'service_healthy' },
          redis: { condition: 'service_healthy' },
          migrate: { condition: 'service_completed_successfully' },
        },
      });
    }
  });

  it('runs migrate once, after Postgres is healthy', () => {
    expect(services.migrate.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' } });
    expect(String(services.migrate.restart)).toBe('no');
  });

  it('probes each app on the port it listens on', () => {
    for (const app of appNames) {
      expect({ app, port: listenPort(app) }).toEqual({ app, port: APPS[app].port });
      const probe = words(services[app].healthcheck?.test);
      expect({ app, probe }).toEqual({
        app,
        probe: expect.stringContaining(`http://127.0.0.1:${APPS[app].port}/health/ready`),
      });
    }
  });

  it('runs each app with the same main.js as its start:<app> script in package.json', () => {
    for (const app of appNames) {
      const script = scripts[`start:${app}`];
      expect(script).toMatch(new RegExp(`^node dist/apps/${app}/apps/${app}/src/main\\.js$`));
      expect({ app, command: words(services[app].command) }).toEqual({ app, command: script });
    }
  });

  it('runs the migrations with migrate.main.js', () => {
    expect(words(services.migrate.command)).toMatch(
      /^node dist\/apps\/[\w-]+\/libs\/database\/src\/migrate\.main\.js\b/,
    );
  });

  it('builds one image for migrate and the three apps', () => {
    const images = ['migrate', ...appNames].map((name) => services[name].image);
    expect(new Set(images).size).toBe(1);
    for (const name of ['migrate', ...appNames])
      expect({ name, build: services[name].build }).toEqual({ name, build: '.' });
  });

  it('takes the secrets from the host environment and refuses to start without them', () => {
    for (const name of ['migrate', ...appNames]) {
      const env = environment(services[name]);
      expect({ name, env }).toMatchObject({
        name,
        env: {
          NODE_ENV: 'production',
          JWT_SECRET: expect.stringMatching(/^\$\{JWT_SECRET:\?.+\}$/),
          ENCRYPTION_KEYS: expect.stringMatching(/^\$\{ENCRYPTION_KEYS:\?.+\}$/),
        },
      });
    }
  });

  it('publishes the gateway port', () => {
    expect(services['api-gateway'].ports).toContainEqual(`${listenPort('api-gateway')}:${listenPort('api-gateway')}`);
  });
});

describe('Dockerfile', () => {
  it('builds every stage on Node 24', () => {
    expect(stages.length).toBeGreaterThan(0);
    for (const stage of stages) expect(stage.image).toMatch(/^node:24-/);
  });

  it('runs the final stage as a non-root user', () => {
    const user = inFinal('USER').at(-1);
    expect(user).toBeDefined();
    expect(user?.split(':')[0]).not.toMatch(/^(root|0)$/);
  });

  it('sets NODE_ENV=production in the final stage', () => {
    expect(inFinal('ENV').some((args) => /(^|\s)NODE_ENV[= ]"?production"?(\s|$)/.test(args))).toBe(true);
  });

  it('ships only production dependencies, installed with npm ci --omit=dev', () => {
    // The final stage installs nothing itself: it copies node_modules from a stage that does.
    expect(inFinal('RUN').filter((args) => /\bnpm (ci|install|i)\b/.test(args))).toEqual([]);
    const copy = inFinal('COPY').find((args) => /\bnode_modules\b/.test(args));
    const source = stages.find((stage) => stage.name === /--from=(\S+)/.exec(copy ?? '')?.[1]);
    expect(source?.name).toBeDefined();
    const installs = source?.instructions.filter((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args)) ?? [];
    expect(installs.length).toBeGreaterThan(0);
    for (const install of installs) expect(install.args).toMatch(/\bnpm ci\b[^&;|]*--omit=dev\b/);
  });

  it('starts the api-gateway by default, in exec form so node itself receives SIGTERM', () => {
    expect(JSON.parse(inFinal('CMD').at(-1) ?? 'null')).toEqual(scripts['start:api-gateway'].split(' '));
  });
});

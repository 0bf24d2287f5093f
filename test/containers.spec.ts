/**
 * Static checks of the container files (Dockerfile, docker-compose.yml): they
 * need no Docker engine, only the files and package.json, so a compose or
 * Dockerfile edit that would break `docker compose up` fails here first.
 */
import { describe, it, expect } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { JwtService } from '@nestjs/jwt';
import { parse } from 'yaml';
import { loadConfig, type AppConfig } from '../libs/config/src/index.js';
import { ENV_SCHEMA } from '../libs/config/src/env.schema.js';
import { userFromToken } from '../libs/auth/src/jwt.strategy.js';
import { parseTokenArgs, tokenFor } from '../libs/auth/src/token.command.js';

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
  environment?: Record<string, string | number | boolean | null> | string[];
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

/** A service's environment as written (before interpolation); null: passed through from the host. */
function environment(service: Service): Record<string, string | null> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) =>
        entry.includes('=') ? [entry.split('=')[0], entry.slice(entry.indexOf('=') + 1)] : [entry, null],
      ),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? null : String(v)]));
}

/** The port an app listens on inside its container: its compose variable, else the schema default. */
function listenPort(app: keyof typeof APPS): number {
  const { portVar } = APPS[app];
  return Number(environment(services[app])[portVar] ?? ENV_SCHEMA[portVar].default);
}

/**
 * Compose's interpolation of one value (`$$`, `$VAR`, `${VAR}`, and `-`, `?`, `+`
 * with or without `:`), against the shell's variables. A `?` on an unset (or,
 * with `:`, empty) variable fails, as `docker compose up` does.
 */
function interpolate(value: string, shell: Readonly<Record<string, string>>, where: string): string {
  return value.replace(
    /\$(?:\$|\{([A-Za-z_]\w*)(?:(:?)([-?+])([^}]*))?\}|([A-Za-z_]\w*))/g,
    (match, braced?: string, colon?: string, op?: string, arg = '', bare?: string) => {
      if (match === '$$') return '$';
      const name = (braced ?? bare)!;
      const given = shell[name];
      const missing = colon ? given === undefined || given === '' : given === undefined;
      if (op === '-') return missing ? arg : given!;
      if (op === '+') return missing ? '' : arg;
      if (op === '?') {
        if (missing) throw new Error(`${where}: required variable ${name} is missing a value: ${arg}`);
        return given!;
      }
      return given ?? '';
    },
  );
}

/** The final stage's ENV lines, which every container of the image starts with. */
function imageEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const args of inFinal('ENV')) {
    const pairs = [...args.matchAll(/([A-Za-z_]\w*)=("(?:[^"\\]|\\.)*"|\S*)/g)];
    if (pairs.length === 0) {
      const [name, ...rest] = args.split(/\s+/); // legacy `ENV NAME value`
      env[name!] = rest.join(' ');
    }
    for (const [, name, raw] of pairs) env[name!] = raw!.startsWith('"') ? (JSON.parse(raw!) as string) : raw!;
  }
  return env;
}

/**
 * What a container of `service` sees: the image's ENV, then the service's
 * environment interpolated with `shell` (compose's environment wins).
 */
function containerEnvironment(service: string, shell: Readonly<Record<string, string>>): Record<string, string> {
  const env = { ...imageEnvironment() };
  for (const [name, value] of Object.entries(environment(services[service]!))) {
    if (value === null) {
      if (shell[name] !== undefined) env[name] = shell[name]!;
    } else {
      env[name] = interpolate(value, shell, `${service}.environment.${name}`);
    }
  }
  return env;
}

/** The README's shell code blocks. */
const readmeBlocks = [...read('../README.md').matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
const composeBlock = readmeBlocks.find((block) => /^docker compose up --build$/m.test(block));

/**
 * The variables the README's compose recipe exports, as a shell would set
 * them: only `$(openssl rand -base64 N)` is evaluated (to N fresh random bytes).
 */
function readmeExports(): Record<string, string> {
  const exported: Record<string, string> = {};
  for (const [, name, raw] of (composeBlock ?? '').matchAll(/^export ([A-Za-z_]\w*)=(.*)$/gm)) {
    const unquoted = /^"(.*)"$/.exec(raw!)?.[1] ?? /^'(.*)'$/.exec(raw!)?.[1] ?? raw!;
    const value = unquoted.replace(/\$\(openssl rand -base64 (\d+)\)/g, (_m, n: string) =>
      randomBytes(Number(n)).toString('base64'),
    );
    if (value.includes('$')) throw new Error(`README export ${name}: a shell expansion this spec cannot evaluate`);
    exported[name!] = value;
  }
  return exported;
}

/** The services that run this repository's image: every one of them reads its config with loadConfig. */
const ourServices = Object.keys(services).filter((name) => services[name]!.build !== undefined);

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

  it("runs the migrations with the CLI app's migrate.js, the one npm start runs", async () => {
    // @ts-expect-error: a plain .mjs script without types
    const { MIGRATE } = (await import('../scripts/stack.mjs')) as { MIGRATE: string };
    expect(MIGRATE).toBe('dist/apps/cli/apps/cli/src/migrate.js');
    expect(words(services.migrate.command)).toBe(`node ${MIGRATE}`);
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

describe('the compose recipe as the README writes it', () => {
  it('is in the README, with the exports compose requires', () => {
    expect(composeBlock).toBeDefined();
    expect(Object.keys(readmeExports())).toEqual(expect.arrayContaining(['JWT_SECRET', 'ENCRYPTION_KEYS']));
    expect([...ourServices].sort()).toEqual(['api-gateway', 'event-worker', 'job-worker', 'migrate']);
  });

  it.each(ourServices)('starts %s: its environment passes the real config loader', (service) => {
    const env = containerEnvironment(service, readmeExports());
    let config: AppConfig | undefined;
    try {
      config = loadConfig(env);
    } catch (err) {
      // The loader names every bad variable: show them, not just "it threw".
      expect({ service, problem: (err as Error).message }).toEqual({ service, problem: undefined });
    }
    expect(config?.env).toBe('production');
  });

  it('stops at the start without the README exports, naming the missing secret', () => {
    expect(() => containerEnvironment('migrate', {})).toThrow(/JWT_SECRET is missing a value/);
    expect(() => containerEnvironment('api-gateway', { JWT_SECRET: 'x'.repeat(40) })).toThrow(
      /ENCRYPTION_KEYS is missing a value/,
    );
  });

  it("binds the gateway's admin port to every interface in its container, published on the host's loopback only", () => {
    const config = loadConfig(containerEnvironment('api-gateway', readmeExports()));
    expect(config.admin.host).toBe('0.0.0.0');
    const adminPublished = (services['api-gateway']!.ports ?? []).filter((p) =>
      String(typeof p === 'string' ? p : p.target).endsWith(`:${config.admin.port}`),
    );
    expect(adminPublished).toEqual([`127.0.0.1:${config.admin.port}:${config.admin.port}`]);
    // The workers keep the loopback default (their admin host is unused; their health ports are not published).
    expect(loadConfig(containerEnvironment('job-worker', readmeExports())).admin.host).toBe('127.0.0.1');
  });

  it('mints tokens the gateway accepts, inside its container and from the README shell', () => {
    const shell = readmeExports();
    const gateway = loadConfig(containerEnvironment('api-gateway', shell)).auth;
    const verifies = (token: string) => {
      if (gateway.mode !== 'secret') throw new Error('the compose gateway should use JWT_SECRET');
      const verified = new JwtService().verify<object>(token, {
        secret: gateway.secret,
        algorithms: ['HS256'],
        issuer: gateway.issuer,
        audience: gateway.audience,
        complete: true,
      });
      return userFromToken(verified, gateway);
    };
    const tokenLines = readmeBlocks.flatMap((block) => block.split('\n')).filter((l) => l.startsWith('TOKEN=$('));
    const inContainer = tokenLines.find((l) => l.includes('docker compose exec'));
    const fromShell = tokenLines.find((l) => l.includes('--iss'));
    const argsOf = (line: string | undefined, after: string) =>
      line!
        .slice(line!.indexOf(after) + after.length)
        .replace(/\)$/, '')
        .trim()
        .split(/\s+/);

    // Inside the container: the CLI app's token.js with the container's own environment.
    expect(inContainer).toContain('dist/apps/cli/apps/cli/src/token.js');
    expect(verifies(tokenFor(parseTokenArgs(argsOf(inContainer, 'token.js')), gateway))).toEqual({ id: 'alice' });
    // From the shell that ran the recipe: npm run token reads only what that shell exported.
    const hostAuth = loadConfig(shell).auth;
    expect(verifies(tokenFor(parseTokenArgs(argsOf(fromShell, 'token --')), hostAuth))).toEqual({ id: 'alice' });
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

  it('runs the apps with the V8 flags and environment npm start and the benchmarks use (APP_NODE_OPTIONS, APP_ENV)', async () => {
    // @ts-expect-error: a plain .mjs script without types
    const { APP_NODE_OPTIONS, APP_ENV } = (await import('../scripts/stack.mjs')) as {
      APP_NODE_OPTIONS: string;
      APP_ENV: Record<string, string>;
    };
    expect(APP_NODE_OPTIONS).toMatch(/^--\S+/);
    expect(imageEnvironment().NODE_OPTIONS).toBe(APP_NODE_OPTIONS);
    expect(Object.keys(APP_ENV).length).toBeGreaterThan(0);
    expect(imageEnvironment()).toMatchObject(APP_ENV);
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

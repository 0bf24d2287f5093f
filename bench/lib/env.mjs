/**
 * The only bench module that reads the environment. Benchmarks are scripts,
 * like scripts/** and the test setup: they pass whole environments to the app
 * processes they spawn.
 */
const ENV = process.env;

/** The bench's own environment, to extend for a child process. */
export const inheritedEnv = () => ({ ...ENV });

/** Where the machine's servers are (the same defaults as the test setup). */
export const SERVER_URLS = {
  postgres: ENV.BENCH_POSTGRES_URL ?? ENV.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  redis: ENV.BENCH_REDIS_URL ?? ENV.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
};

/** Keep the bench database after the run (for a look at it), like KEEP_TEST_DATABASE. */
export const KEEP_DATABASE = Boolean(ENV.KEEP_BENCH_DATABASE);

/** When set, every app runs with `--cpu-prof` and writes its profile (on exit) into this folder. */
export const CPU_PROF_DIR = ENV.BENCH_CPU_PROF_DIR || undefined;

/** Streams the stream benchmark opens (default 1,000): fewer, as a control of what the fan-out costs. */
export const STREAM_COUNT = ENV.BENCH_STREAM_COUNT ? Number(ENV.BENCH_STREAM_COUNT) : undefined;

/**
 * Helper processes (the load generator, the anchor server) and the machine's
 * CPU accounting, to tell which process a run was bound by.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { round } from './report.mjs';
import { inheritedEnv } from './env.mjs';
import { cpuSecondsOf, REPO_ROOT } from './stack.mjs';

const script = (name) => fileURLToPath(new URL(`./${name}`, import.meta.url));

/** Runs bench/lib/<name> with a JSON argument on stdin and resolves with the JSON line it prints last. */
export function runJsonScript(name, arg) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script(name)], {
      cwd: REPO_ROOT,
      env: inheritedEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.once('error', reject);
    child.stdin.end(JSON.stringify(arg));
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (err += c));
    child.once('exit', (code) => {
      const last = out.trim().split('\n').pop();
      if (code !== 0 || !last) return reject(new Error(`${name} exited ${code}:\n${err}${out}`));
      resolve(JSON.parse(last));
    });
  });
}

/** What the anchor does per request (bench/lib/anchor-server.mjs), for the result files. */
export const ANCHOR_DESCRIPTION =
  'plain Fastify 5, pg pool 20; per request one SELECT of the verification token by primary key, ' +
  'the HMAC-SHA256 signature checked (node:crypto), one INSERT ... ON CONFLICT DO NOTHING of the body';

/** Anchor servers started and not exited yet: a stopped or crashed run ends them too. */
const liveAnchors = new Set();

/** Ends every anchor server still running (Ctrl-C, SIGTERM or a crash of the run). */
export function stopAnchors() {
  for (const child of liveAnchors) child.kill('SIGTERM');
}

/**
 * Starts the anchor server on the given database, knowing one project (its id
 * and webhook verification token, as the gateway has them); resolves once it
 * listens, with the URL that project's events go to.
 */
export function startAnchor(databaseUrl, project) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script('anchor-server.mjs')], {
      cwd: REPO_ROOT,
      env: inheritedEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    liveAnchors.add(child);
    child.once('exit', () => liveAnchors.delete(child));
    child.stdin.end(
      JSON.stringify({ databaseUrl, project: { id: project.id, verificationToken: project.verificationToken } }),
    );
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (c) => (err += c));
    child.stdout.setEncoding('utf8').once('data', (line) => {
      const { port } = JSON.parse(line);
      const exited = new Promise((r) => child.once('exit', r));
      resolve({
        port,
        pid: child.pid,
        url: `http://127.0.0.1:${port}/webhooks/${project.id}`,
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      });
    });
    child.once('exit', (code) => reject(new Error(`anchor server exited ${code}:\n${err}`)));
  });
}

/** Jiffies per state of all CPUs together, from /proc/stat. */
function cpuTicks() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number);
  return { busy: user + nice + system + irq + softirq + steal, idle: idle + iowait };
}

/** Starts counting; `stop()` gives the machine's busy share (0..1 of all cores) since. */
export function machineCpu() {
  const before = cpuTicks();
  return {
    stop() {
      const after = cpuTicks();
      const busy = after.busy - before.busy;
      const total = busy + after.idle - before.idle;
      return round(total > 0 ? busy / total : NaN, 2);
    },
  };
}

/** CPU seconds used so far by every process whose command name is `comm` (e.g. all Postgres backends), exited children included. */
function cpuSecondsOfCommand(comm) {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (name !== comm) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime + stime, plus cutime + cstime: a backend that exits is reaped by the
      // postmaster, whose children's time then carries it (the sum never drops).
      total += (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/**
 * Starts counting CPU per process: the given app processes, this process (the
 * bench itself: the fake Notion and the senders), Postgres (every backend, also
 * other users') and Redis. `stop()` gives cores used on average by each,
 * `others` (the rest of the machine: other users' work, the noise), and the
 * machine's busy share.
 */
export function cpuAccount(pids) {
  const read = () => ({
    ...Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSecondsOf(pid)])),
    bench: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
    postgres: cpuSecondsOfCommand('postgres'),
    redis: cpuSecondsOfCommand('redis-server'),
  });
  const before = read();
  const machine = machineCpu();
  const startedAt = Date.now();
  return {
    stop() {
      const after = read();
      const seconds = (Date.now() - startedAt) / 1000;
      const machineBusy = machine.stop();
      const cores = Object.fromEntries(Object.keys(after).map((k) => [k, round((after[k] - before[k]) / seconds, 2)]));
      const ours = Object.values(cores).reduce((a, b) => a + b, 0);
      // What the rest of the machine (other users' work) took meanwhile: the noise in this figure.
      cores.others = round(Math.max(0, machineBusy * cpus().length - ours), 2);
      return { machineBusy, cores };
    },
  };
}

import { createServer } from 'node:net';

/** Ports handed out: below 32768, where this machine's ephemeral range (outgoing connections) starts. */
const LOW = 20_000;
const HIGH = 32_767;

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now, for a child
 * process to bind. Never one from the ephemeral range: there an outgoing
 * connection can take the port between this check and the child's bind.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW + 1));
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) continue;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }
  throw new Error(`No free port between ${LOW} and ${HIGH} after 50 tries`);
}

import { afterEach, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { createFastifyAdapter, type FastifyAdapterOptions } from './fastify-adapter.js';

/** The address Fastify gives a request (what per-IP rate limits key on), through the adapter's trustProxy. */
describe('createFastifyAdapter: the client address behind proxies', () => {
  let server: FastifyInstance | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** Serves `request.ip` on loopback; the test client is the "proxy" at 127.0.0.1. */
  async function ipOf(trustProxy: FastifyAdapterOptions['trustProxy'], forwardedFor?: string): Promise<string> {
    if (!server) {
      server = createFastifyAdapter({ trustProxy }).getInstance() as unknown as FastifyInstance;
      server.get('/ip', (request) => ({ ip: request.ip }));
      await server.listen({ port: 0, host: '127.0.0.1' });
    }
    const { port } = server.server.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/ip`, {
      headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
    });
    return ((await res.json()) as { ip: string }).ip;
  }

  it('ignores X-Forwarded-For by default: a client cannot pick its address', async () => {
    expect(await ipOf(undefined, '203.0.113.7')).toBe('127.0.0.1');
    expect(await ipOf(undefined, '198.51.100.1, 203.0.113.7')).toBe('127.0.0.1');
  });

  it('believes a trusted proxy address (or CIDR) for the hop it added, and no further', async () => {
    expect(await ipOf(['127.0.0.0/8'], '203.0.113.7')).toBe('203.0.113.7');
    // A client that sends the header itself only adds entries before the proxy's own.
    expect(await ipOf(['127.0.0.0/8'], '198.51.100.1, 203.0.113.7')).toBe('203.0.113.7');
    expect(await ipOf(['127.0.0.0/8'])).toBe('127.0.0.1');
  });

  it('does not believe a proxy that is not in the list', async () => {
    expect(await ipOf(['10.0.0.0/8'], '203.0.113.7')).toBe('127.0.0.1');
  });

  it('takes a number as trusted hops (Fastify itself now reads a number as "trust nothing")', async () => {
    expect(await ipOf(1, '198.51.100.1, 203.0.113.7')).toBe('203.0.113.7');
  });

  it('walks back two trusted hops', async () => {
    expect(await ipOf(2, '198.51.100.1, 203.0.113.7, 10.0.0.2')).toBe('203.0.113.7');
  });
});

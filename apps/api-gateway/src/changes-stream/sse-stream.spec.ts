import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import { changeFrame, SseStream, type FrameRow, type StreamEnd } from './sse-stream.js';

/** A socket whose buffer the spec fills and drains. */
class FakeResponse extends EventEmitter {
  written = '';
  full = false;
  head?: { status: number; headers: Record<string, unknown> };
  endedWith?: string;
  destroyed = false;
  writeHead(status: number, headers: Record<string, unknown>) {
    this.head = { status, headers };
  }
  write(text: string): boolean {
    this.written += text;
    return !this.full;
  }
  end(text: string) {
    this.endedWith = text;
  }
  destroy() {
    this.destroyed = true;
  }
  drain() {
    this.full = false;
    this.emit('drain');
  }
}

const rows = (...versions: number[]): FrameRow[] =>
  versions.map((v) => ({ version: String(v), frame: changeFrame(String(v), { id: `p${v}` }) }));

function open(bufferEvents = 3) {
  const raw = new FakeResponse();
  const ends: StreamEnd[] = [];
  let events = 0;
  const sse = new SseStream(raw as unknown as ServerResponse, {
    bufferEvents,
    retryMs: 1500,
    onEvents: (n) => (events += n),
    onEnd: (reason) => ends.push(reason),
  });
  return { raw, sse, ends, events: () => events };
}

describe('SseStream', () => {
  it('starts with the reply headers, the SSE headers and the retry hint; frames carry the version as id', () => {
    const { raw, sse } = open();
    sse.start({ 'access-control-allow-origin': 'http://localhost:5173', 'x-request-id': 'r1' });
    expect(raw.head).toEqual({
      status: 200,
      headers: {
        'access-control-allow-origin': 'http://localhost:5173',
        'x-request-id': 'r1',
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      },
    });
    expect(raw.written).toBe('retry: 1500\n\n');
    sse.send(rows(7));
    sse.live('7');
    expect(raw.written).toBe(
      'retry: 1500\n\nid: 7\nevent: change\ndata: {"id":"p7"}\n\nevent: live\ndata: {"version":"7"}\n\n',
    );
  });

  it('takes the write that fills the socket whole, then counts what follows until the drain, and refuses past the buffer', async () => {
    const { raw, sse, events } = open(3);
    raw.full = true;
    // The write that fills the buffer: taken, however large.
    expect(sse.send(rows(1, 2, 3, 4, 5, 6, 7, 8))).toBe(true);
    let ready = false;
    void sse.ready().then(() => (ready = true));
    expect(sse.send(rows(9, 10))).toBe(true);
    expect(sse.send(rows(11))).toBe(true);
    // Four events behind a full socket, with room for three: the hub drops the stream.
    expect(sse.send(rows(12))).toBe(false);
    expect(events()).toBe(11);
    raw.drain();
    await Promise.resolve();
    expect(ready).toBe(true);
    // Drained: the count starts again.
    raw.full = true;
    expect(sse.send(rows(13))).toBe(true);
    expect(sse.send(rows(14, 15, 16))).toBe(true);
    expect(sse.send(rows(17))).toBe(false);
  });

  it('sends heartbeats only while the socket takes them, and cuts a stream whose socket has not drained for long', () => {
    const { raw, sse, ends } = open();
    sse.heartbeat(30_000);
    expect(raw.written).toBe(': heartbeat\n\n');
    raw.full = true;
    sse.send(rows(1));
    raw.written = '';
    sse.heartbeat(30_000);
    expect(raw.written).toBe('');
    expect(ends).toEqual([]);
    sse.heartbeat(30_000, Date.now() + 30_000);
    expect(ends).toEqual(['slow']);
    expect(raw.destroyed).toBe(true);
  });

  it('cuts rather than ends a stream whose socket is full at shutdown (the last frame would wait)', () => {
    const { raw, sse, ends } = open();
    raw.full = true;
    sse.send(rows(1));
    sse.end('shutdown');
    expect(raw.destroyed).toBe(true);
    expect(raw.endedWith).toBeUndefined();
    expect(ends).toEqual(['shutdown']);
  });

  it('ends with an end event and a retry hint on shutdown, cuts a slow stream, and reports each end once', () => {
    const down = open();
    down.sse.end('shutdown');
    down.sse.end('shutdown');
    down.raw.emit('close');
    expect(down.raw.endedWith).toBe('event: end\ndata: {"reason":"shutdown"}\nretry: 1500\n\n');
    expect(down.ends).toEqual(['shutdown']);
    expect(down.sse.send(rows(1))).toBe(false);

    const slow = open();
    slow.sse.closed('slow');
    expect(slow.raw.destroyed).toBe(true);
    expect(slow.raw.endedWith).toBeUndefined();
    expect(slow.ends).toEqual(['slow']);

    const gone = open();
    let ready = false;
    gone.raw.full = true;
    gone.sse.send(rows(1));
    void gone.sse.ready().then(() => (ready = true));
    gone.raw.emit('close');
    expect(gone.ends).toEqual(['client']);
    return Promise.resolve().then(() => expect(ready).toBe(true));
  });
});

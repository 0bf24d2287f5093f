import { describe, expect, it } from '@jest/globals';
import { InFlightBatcher } from './in-flight-batcher.js';

/** A send whose calls finish when the test says so. */
function controlledSend() {
  const calls: Array<{ items: readonly string[]; finish: (err?: Error) => void }> = [];
  const send = (items: readonly string[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({
        items,
        finish: (err) => (err ? reject(err) : resolve(items.map((i) => `done ${i}`))),
      });
    });
  return { calls, send };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('InFlightBatcher', () => {
  it('sends the first item at once and those arriving meanwhile together, one result each', async () => {
    const { calls, send } = controlledSend();
    const batcher = new InFlightBatcher(send, { max: 10 });
    const first = batcher.submit('a');
    expect(calls.map((c) => c.items)).toEqual([['a']]);
    const rest = ['b', 'c', 'd'].map((i) => batcher.submit(i));
    calls[0]!.finish();
    await expect(first).resolves.toBe('done a');
    await settle();
    expect(calls.map((c) => c.items)).toEqual([['a'], ['b', 'c', 'd']]);
    calls[1]!.finish();
    await expect(Promise.all(rest)).resolves.toEqual(['done b', 'done c', 'done d']);
  });

  it('keeps items of one key in separate calls, in arrival order, and respects the maximum', async () => {
    const { calls, send } = controlledSend();
    const batcher = new InFlightBatcher(send, { max: 2, keyOf: (i: string) => i[0]! });
    const all = ['x0', 'y1', 'y2', 'z3', 'w4'].map((i) => batcher.submit(i));
    for (let n = 0; n < 4; n++) {
      await settle();
      calls[n]?.finish();
    }
    await Promise.all(all);
    expect(calls.map((c) => c.items)).toEqual([['x0'], ['y1', 'z3'], ['y2', 'w4']]);
  });

  it('sends the items of a failed call again one by one, failing only the bad one', async () => {
    const sent: string[][] = [];
    const batcher = new InFlightBatcher(
      async (items: readonly string[]) => {
        sent.push([...items]);
        if (items.includes('bad')) throw new Error('refused');
        return items.map((i) => i.toUpperCase());
      },
      { max: 10 },
    );
    const results = await Promise.allSettled(['first', 'bad', 'good'].map((i) => batcher.submit(i)));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      'FIRST',
      'refused',
      'GOOD',
    ]);
    expect(sent).toEqual([['first'], ['bad', 'good'], ['bad'], ['good']]);
  });
});

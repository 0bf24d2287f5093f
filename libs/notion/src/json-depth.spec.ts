import { describe, expect, it } from '@jest/globals';
import { exceedsJsonDepth } from './json-depth.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');
const nested = (depth: number, leaf = '1') => '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);

describe('exceedsJsonDepth', () => {
  it('counts objects and arrays, and allows exactly the maximum', () => {
    expect(exceedsJsonDepth(bytes('1'), 0)).toBe(false);
    expect(exceedsJsonDepth(bytes('{}'), 0)).toBe(true);
    expect(exceedsJsonDepth(bytes(nested(3)), 3)).toBe(false);
    expect(exceedsJsonDepth(bytes(nested(4)), 3)).toBe(true);
    expect(exceedsJsonDepth(bytes('[[[{"a":[1]}]]]'), 4)).toBe(true);
    expect(exceedsJsonDepth(bytes('[[[{"a":[1]}]]]'), 5)).toBe(false);
  });

  it('measures depth, not the number of siblings', () => {
    expect(exceedsJsonDepth(bytes(`[${'[1],'.repeat(10_000)}[1]]`), 2)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(exceedsJsonDepth(bytes(`{"a":"${'['.repeat(100)}"}`), 1)).toBe(false);
    expect(exceedsJsonDepth(bytes(`{"a":"\\"${'{'.repeat(100)}\\\\"}`), 1)).toBe(false);
    expect(exceedsJsonDepth(bytes(`{"é😀":"[{","b":[[1]]}`), 2)).toBe(true);
  });

  it('scans a 100 KB hostile body without recursion', () => {
    expect(exceedsJsonDepth(bytes('['.repeat(100 * 1024)), 32)).toBe(true);
    // Long, but shallow: every bracket closes at once.
    expect(exceedsJsonDepth(bytes('[]'.repeat(50 * 1024)), 1)).toBe(false);
  });
});

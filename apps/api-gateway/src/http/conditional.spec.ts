import { describe, expect, it } from '@jest/globals';
import { matchesIfNoneMatch } from './conditional.js';

describe('matchesIfNoneMatch', () => {
  const etag = '"12.k1.markdown"';
  it('matches the tag, in a list, weakly, and *', () => {
    expect(matchesIfNoneMatch(etag, etag)).toBe(true);
    expect(matchesIfNoneMatch(`"other", ${etag}`, etag)).toBe(true);
    expect(matchesIfNoneMatch(`W/${etag}`, etag)).toBe(true);
    expect(matchesIfNoneMatch(' * ', etag)).toBe(true);
    expect(matchesIfNoneMatch(['"a"', etag], etag)).toBe(true);
  });
  it('does not match another tag, a prefix, or no header', () => {
    expect(matchesIfNoneMatch('"12.k1.html"', etag)).toBe(false);
    expect(matchesIfNoneMatch('"12.k1.markdow"', etag)).toBe(false);
    expect(matchesIfNoneMatch('12.k1.markdown', etag)).toBe(false);
    expect(matchesIfNoneMatch(undefined, etag)).toBe(false);
  });
});

import { describe, expect, it } from '@jest/globals';
import { redactPath } from './routes.js';

describe('redactPath', () => {
  it('redacts webhook keys, file refs and stream tickets, however the ticket parameter is spelled', () => {
    expect(redactPath('/api/v1/webhooks/notion/whk_secret')).toBe('/api/v1/webhooks/notion/[redacted]');
    expect(redactPath('/api/v1/files/f1.k1.abc.def?x=1')).toBe('/api/v1/files/[redacted]?x=1');
    const stream = '/api/v1/projects/p/changes/stream';
    expect(redactPath(`${stream}?after=3&ticket=st1.a.b`)).toBe(`${stream}?after=3&ticket=[redacted]`);
    expect(redactPath(`${stream}?%74icket=st1.a.b&after=3`)).toBe(`${stream}?%74icket=[redacted]&after=3`);
    expect(redactPath(`${stream}?ticket=st1.a&ticket=st1.b`)).toBe(`${stream}?ticket=[redacted]&ticket=[redacted]`);
    expect(redactPath(`${stream}?tickets=kept&%E0%A4=x`)).toBe(`${stream}?tickets=kept&%E0%A4=x`);
    expect(redactPath(stream)).toBe(stream);
  });
});

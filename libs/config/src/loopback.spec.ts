import { describe, expect, it } from '@jest/globals';
import { isLoopbackHost } from './loopback.js';

describe('isLoopbackHost', () => {
  it.each([
    'localhost',
    'LOCALHOST',
    '127.0.0.1',
    '127.0.0.2',
    '127.255.255.254',
    '127.1',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
  ])('%p is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each([
    '0.0.0.0',
    '::',
    '10.0.0.1',
    '128.0.0.1',
    '192.168.0.1',
    '::2',
    '::ffff:10.0.0.1',
    'localhost.example.com',
    'example.com',
    'my-host',
    '',
    'bad host',
    '[::1',
  ])('%p is not', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

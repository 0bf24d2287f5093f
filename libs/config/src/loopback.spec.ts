import { describe, expect, it } from '@jest/globals';
import { isLoopbackHost, isLoopbackOrigin } from './loopback.js';

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

describe('isLoopbackOrigin', () => {
  it.each([
    'http://localhost:5173',
    'http://localhost',
    'https://localhost:8443',
    'http://127.0.0.1:3000',
    'http://127.0.0.2:8080',
    'http://[::1]:5173',
  ])('%p is a page of this machine', (origin) => {
    expect(isLoopbackOrigin(origin)).toBe(true);
  });

  it.each([
    'http://example.com:5173',
    'http://localhost.example.com:5173',
    'http://192.168.0.10:5173',
    'http://0.0.0.0:5173',
    'http://[::]:5173',
    // Not as a browser sends an origin: a path, a default port, upper case.
    'http://localhost:5173/',
    'http://localhost:5173/app',
    'http://localhost:80',
    'http://LOCALHOST:5173',
    'ws://localhost:5173',
    'file://localhost',
    'null',
    'localhost:5173',
    '',
  ])('%p is not', (origin) => {
    expect(isLoopbackOrigin(origin)).toBe(false);
  });
});

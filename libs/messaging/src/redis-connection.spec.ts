import { describe, expect, it } from '@jest/globals';
import { bullConnection, redisConnectionOptions } from './redis-connection.js';

describe('redisConnectionOptions', () => {
  it('reads host and port, defaulting the port', () => {
    expect(redisConnectionOptions('redis://127.0.0.1:6390')).toEqual({ host: '127.0.0.1', port: 6390 });
    expect(redisConnectionOptions('redis://cache')).toEqual({ host: 'cache', port: 6379 });
  });

  it('reads credentials, database number and TLS', () => {
    expect(redisConnectionOptions('rediss://user:p%40ss@cache:6380/2')).toEqual({
      host: 'cache',
      port: 6380,
      username: 'user',
      password: 'p@ss',
      db: 2,
      tls: {},
    });
  });

  it('unwraps IPv6 hosts', () => {
    expect(redisConnectionOptions('redis://[::1]:6379').host).toBe('::1');
  });
});

describe('bullConnection', () => {
  it('carries the key prefix and retries Redis at most a second apart, however long it was down', () => {
    const { prefix, connection } = bullConnection({ url: 'redis://127.0.0.1:6390', keyPrefix: 'ns' });
    expect(prefix).toBe('ns');
    expect(connection).toMatchObject({ host: '127.0.0.1', port: 6390 });
    expect([1, 2, 3, 4, 10, 1000].map(connection.retryStrategy)).toEqual([250, 500, 750, 1000, 1000, 1000]);
  });
});

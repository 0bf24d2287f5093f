import { describe, expect, it } from '@jest/globals';
import { bootFailureMessage } from './shutdown.js';

function addressInUse(address: string, port: number): Error {
  return Object.assign(new Error(`listen EADDRINUSE: address already in use ${address}:${port}`), {
    code: 'EADDRINUSE',
    address,
    port,
  });
}

describe('bootFailureMessage', () => {
  it('names the variable that moves a port in use', () => {
    const ports = { PORT: 3000, ADMIN_PORT: 3003 };
    expect(bootFailureMessage('api-gateway', addressInUse('127.0.0.1', 3003), ports)).toBe(
      'api-gateway failed to start: 127.0.0.1:3003 is already in use (another notion-sync, or another program, ' +
        'holds it). Stop it, or give api-gateway another port: ADMIN_PORT=<free port>.',
    );
  });

  it('says what it can when the port is none of the known ones', () => {
    expect(bootFailureMessage('job-worker', addressInUse('::1', 9), { JOB_WORKER_HEALTH_PORT: 3002 })).toMatch(
      /::1:9 is already in use .* give this app another port\.$/,
    );
  });

  it('keeps any other error as it is', () => {
    const err = new Error('Redis is down');
    expect(bootFailureMessage('event-worker', err)).toBe(`event-worker failed to start: ${err.stack}`);
  });
});

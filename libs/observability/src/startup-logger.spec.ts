import { describe, expect, it, jest } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import { StartupQuietLogger } from './startup-logger.js';

function recorder() {
  const calls: Array<[string, unknown[]]> = [];
  const at =
    (level: string) =>
    (...args: unknown[]) =>
      void calls.push([level, args]);
  const inner: LoggerService = {
    log: jest.fn(at('log')),
    error: jest.fn(at('error')),
    warn: jest.fn(at('warn')),
    debug: jest.fn(at('debug')),
    verbose: jest.fn(at('verbose')),
    fatal: jest.fn(at('fatal')),
  };
  return { calls, logger: new StartupQuietLogger(inner) };
}

describe('StartupQuietLogger', () => {
  it("moves Nest's wiring lines to debug", () => {
    const { calls, logger } = recorder();
    logger.log('ProjectsModule dependencies initialized', 'InstanceLoader');
    logger.log('Mapped {/api/v1/projects, POST} route', 'RouterExplorer');
    logger.log('Connected to Redis. Subscribing to channels...', 'Server');
    expect(calls.map(([level]) => level)).toEqual(['debug', 'debug', 'debug']);
    expect(calls[1]).toEqual(['debug', ['Mapped {/api/v1/projects, POST} route', 'RouterExplorer']]);
  });

  it('drops the controller headers, whose prefix can be wrong', () => {
    const { calls, logger } = recorder();
    logger.log('HealthController {/api/v1/health}:', 'RoutesResolver');
    expect(calls).toEqual([]);
  });

  it("keeps the app's own lines, and every warning and error, at their level", () => {
    const { calls, logger } = recorder();
    logger.log('api-gateway ready', 'Bootstrap');
    logger.log('no context at all');
    logger.warn('Redis is slow', 'Server');
    logger.error('boom', 'stack', 'InstanceLoader');
    logger.fatal('dead', 'NestFactory');
    expect(calls.map(([level]) => level)).toEqual(['log', 'log', 'warn', 'error', 'fatal']);
  });
});

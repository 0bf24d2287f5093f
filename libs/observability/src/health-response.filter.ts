import { Catch, ServiceUnavailableException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

/**
 * Keeps terminus's own body on a failed readiness check (`status`, `info`,
 * `error`, `details`): probes and operators read it, and it is not a client
 * error to be rendered as problem details by an app's global filter.
 */
@Catch(ServiceUnavailableException)
export class HealthResponseFilter implements ExceptionFilter {
  catch(exception: ServiceUnavailableException, host: ArgumentsHost): void {
    void host.switchToHttp().getResponse<FastifyReply>().status(503).send(exception.getResponse());
  }
}

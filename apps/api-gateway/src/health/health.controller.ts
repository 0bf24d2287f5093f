import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck } from '@nestjs/terminus';
import { Public } from '@app/auth';
import { HealthController as SharedHealthController } from '@app/observability';

/**
 * The health routes as the gateway serves them: open to probes, which carry no
 * token (the gateway's global JWT guard), and in its OpenAPI document
 * (terminus's `@HealthCheck()` describes the check's answers when
 * @nestjs/swagger is loaded, as it is here). The workers serve the shared
 * controller itself: see there why it has neither. Same class name, so the
 * document's operation ids stay `HealthController_*`.
 */
@Public()
@ApiTags('health')
@Controller('health')
export class HealthController extends SharedHealthController {
  @Get('ready')
  @HealthCheck()
  override ready() {
    return super.ready();
  }
}

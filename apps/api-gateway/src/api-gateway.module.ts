import { Module, RequestMethod, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AuthModule } from '@app/auth';
import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { EventBusModule } from '@app/messaging';
import { HealthModule, LoggingModule, MetricsModule } from '@app/observability';
import { SyncStateModule } from '@app/sync';
import { SealedKeysCheck } from '@app/projects';
import { AdminModule } from './admin/admin.module.js';
import { ChangesStreamModule } from './changes-stream/changes-stream.module.js';
import { HealthController } from './health/health.controller.js';
import { ProblemDetailsFilter } from './http/problem-details.filter.js';
import { NOTION_WEBHOOKS_PATH, redactPath } from './http/routes.js';
import { createValidationPipe } from './http/request-validation.js';
import { IpRateLimitModule, RateLimitModule } from './http/rate-limit.module.js';
import { NotionWebhooksModule } from './notion-webhooks/notion-webhooks.module.js';
import { FilesApiModule } from './files/files-api.module.js';
import { PagesApiModule } from './pages/pages-api.module.js';
import { ProjectsApiModule } from './projects/projects-api.module.js';
import { SyncFailuresApiModule } from './sync-failures/sync-failures-api.module.js';

@Module({})
export class ApiGatewayModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiGatewayModule,
      imports: [
        ConfigModule.forRoot(config),
        // Webhook URLs carry a secret key: logged as [redacted]. The intake logs its own failures
        // (WebhookAdmission) and no request line for its successes: one per event is noise and CPU.
        LoggingModule.forRoot('api-gateway', {
          redactUrl: redactPath,
          failuresOnly: [{ path: `${NOTION_WEBHOOKS_PATH}/{*rest}`, method: RequestMethod.ALL }],
        }),
        // Served on the admin port (AdminModule), never on the public one.
        MetricsModule.forRoot('api-gateway', { http: false }),
        AdminModule.forRoot(config),
        DatabaseModule.forRoot('api-gateway'),
        // Global: the projects' sync state, and the hooks libs/projects commits it with.
        SyncStateModule,
        EventBusModule.forRoot(),
        // Redis is reported but not required: the webhook intake writes to
        // Postgres and must keep answering while Redis is down.
        HealthModule.forRoot({ redisRequired: false }, HealthController),
        // Global guards run in module order: per-IP limit, JWT, per-user limit.
        IpRateLimitModule,
        AuthModule,
        RateLimitModule,
        ProjectsApiModule,
        PagesApiModule,
        ChangesStreamModule,
        FilesApiModule,
        SyncFailuresApiModule,
        NotionWebhooksModule,
      ],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        // Refuses to start while a stored secret is sealed under a key ENCRYPTION_KEYS lacks.
        SealedKeysCheck,
      ],
    };
  }
}

import { Module, type DynamicModule } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { EventBusModule } from '@app/messaging';
import { HealthModule, LoggingModule } from '@app/observability';
import { ProjectsModule } from '@app/projects';

@Module({})
export class ApiGatewayModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiGatewayModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot('api-gateway'),
        DatabaseModule.forRoot('api-gateway'),
        EventBusModule.forRoot(),
        // Redis is reported but not required: the webhook intake writes to
        // Postgres and must keep answering while Redis is down.
        HealthModule.forRoot({ redisRequired: false }),
        AuthModule,
        ProjectsModule,
      ],
    };
  }
}

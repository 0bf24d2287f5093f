import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '@app/config';
import { buildDataSourceOptions } from './data-source.options.js';

@Module({})
export class DatabaseModule {
  /** @param applicationName shown in pg_stat_activity, so each app's connections are told apart. */
  static forRoot(applicationName: string): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            ...buildDataSourceOptions(config, { applicationName }),
            // Domain libs register their entities with TypeOrmModule.forFeature.
            autoLoadEntities: true,
            // Fail boot after a few tries instead of retrying for minutes.
            retryAttempts: 3,
            retryDelay: 1000,
          }),
        }),
      ],
    };
  }
}

import { Global, Module, type DynamicModule } from '@nestjs/common';
import { AppConfig } from './app-config.js';

/**
 * Provides the already-validated `AppConfig` to the whole app. The config is
 * loaded in `main.ts` (or built by a test) and passed in, so it is validated
 * exactly once and a test can hand any app a config of its own.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: AppConfig, useValue: config }],
      exports: [AppConfig],
    };
  }
}

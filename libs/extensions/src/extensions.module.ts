import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { INSTALLED_EXTENSIONS } from './installed-extensions.js';
import { NotionEventHandlerRegistry } from './notion-event-handler.registry.js';

/** Loads the extension modules and finds their event handlers (global). */
@Module({})
export class ExtensionsModule {
  static forRoot(modules: readonly Type[] = INSTALLED_EXTENSIONS): DynamicModule {
    return {
      module: ExtensionsModule,
      global: true,
      imports: [DiscoveryModule, ...modules],
      providers: [NotionEventHandlerRegistry],
      exports: [NotionEventHandlerRegistry],
    };
  }
}

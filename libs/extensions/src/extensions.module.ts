import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { NotionEventHandlerRegistry } from './notion-event-handler.registry.js';

/**
 * Loads the extension modules and finds their event handlers (global). The
 * workers pass the list of libs/installed-extensions; this lib never imports
 * it, since the modules on it import this lib.
 */
@Module({})
export class ExtensionsModule {
  static forRoot(modules: readonly Type[]): DynamicModule {
    return {
      module: ExtensionsModule,
      global: true,
      imports: [DiscoveryModule, ...modules],
      providers: [NotionEventHandlerRegistry],
      exports: [NotionEventHandlerRegistry],
    };
  }
}

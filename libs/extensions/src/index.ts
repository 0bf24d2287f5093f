export { ExtensionsModule } from './extensions.module.js';
export { InvalidNotionEventHandlerError, NotionEventHandlerRegistry } from './notion-event-handler.registry.js';
export { ON_NOTION_EVENT, OnNotionEvent, type NotionEventContext } from './on-notion-event.decorator.js';

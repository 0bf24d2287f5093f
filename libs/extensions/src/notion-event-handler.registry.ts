import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { NOTION_EVENT_FAMILIES } from '@app/contracts';
import { ON_NOTION_EVENT, type NotionEventContext } from './on-notion-event.decorator.js';

interface RegisteredHandler {
  readonly key: string;
  readonly pattern: string;
  readonly invoke: (context: NotionEventContext) => Promise<unknown>;
}

const PATTERN = /^([a-z_]+)\.(\*|[a-z_]+)$/;

export class InvalidNotionEventHandlerError extends Error {}

/** Every `@OnNotionEvent()` method of the app, found once at startup. */
@Injectable()
export class NotionEventHandlerRegistry implements OnModuleInit {
  private readonly logger = new Logger(NotionEventHandlerRegistry.name);
  private handlers: RegisteredHandler[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    const found: RegisteredHandler[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = instance[method] as ((context: NotionEventContext) => unknown) | undefined;
        const pattern = fn ? this.reflector.get<string | undefined>(ON_NOTION_EVENT, fn) : undefined;
        if (!pattern) continue;
        const key = `${instance.constructor.name}.${method}`;
        validate(pattern, key);
        if (found.some((h) => h.key === key))
          throw new InvalidNotionEventHandlerError(`Two event handlers are named ${key}`);
        found.push({ key, pattern, invoke: async (context) => fn!.call(instance, context) });
      }
    }
    this.handlers = found;
    if (found.length)
      this.logger.log(`Notion event handlers: ${found.map((h) => `${h.key} (${h.pattern})`).join(', ')}`);
  }

  /** Keys of the handlers for one event type, in a stable order. */
  handlersFor(eventType: string): string[] {
    const family = eventType.split('.')[0];
    return this.handlers.filter((h) => h.pattern === eventType || h.pattern === `${family}.*`).map((h) => h.key);
  }

  async run(key: string, context: NotionEventContext): Promise<void> {
    const handler = this.handlers.find((h) => h.key === key);
    // A handler removed since the job was queued: nothing left to run.
    if (!handler) throw new InvalidNotionEventHandlerError(`No event handler ${key} in this build`);
    await handler.invoke(context);
  }
}

function validate(pattern: string, key: string): void {
  const match = PATTERN.exec(pattern);
  const family = match?.[1];
  if (!match || !(NOTION_EVENT_FAMILIES as readonly string[]).includes(family!)) {
    throw new InvalidNotionEventHandlerError(
      `@OnNotionEvent('${pattern}') on ${key}: unknown event family` +
        ` (expected <family>.<action> or <family>.* with a family of ${NOTION_EVENT_FAMILIES.join(', ')})`,
    );
  }
}

import { describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ExtensionsModule } from './extensions.module.js';
import { NotionEventHandlerRegistry } from './notion-event-handler.registry.js';
import { OnNotionEvent } from './on-notion-event.decorator.js';

@Injectable()
class GoodHandlers {
  @OnNotionEvent('comment.created')
  async onComment(): Promise<void> {}

  @OnNotionEvent('page.*')
  async onAnyPage(): Promise<void> {}
}

@Module({ providers: [GoodHandlers] })
class GoodModule {}

@Injectable()
class TypoHandlers {
  @OnNotionEvent('comments.created')
  async onComment(): Promise<void> {}
}

@Module({ providers: [TypoHandlers] })
class TypoModule {}

const boot = async (module: object) => {
  const ref = await Test.createTestingModule({ imports: [ExtensionsModule.forRoot([module as never])] }).compile();
  return ref.init();
};

describe('NotionEventHandlerRegistry', () => {
  it('finds handlers by exact type and by family', async () => {
    const app = await boot(GoodModule);
    const registry = app.get(NotionEventHandlerRegistry);
    expect(registry.handlersFor('comment.created')).toEqual(['GoodHandlers.onComment']);
    expect(registry.handlersFor('page.deleted')).toEqual(['GoodHandlers.onAnyPage']);
    expect(registry.handlersFor('database.created')).toEqual([]);
    await app.close();
  });

  it('fails startup when a handler names an unknown event family', async () => {
    await expect(boot(TypoModule)).rejects.toThrow(
      /@OnNotionEvent\('comments.created'\) on TypoHandlers.onComment: unknown event family/,
    );
  });
});

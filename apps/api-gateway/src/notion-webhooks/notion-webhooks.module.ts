import { Module } from '@nestjs/common';
import { InboxModule } from '@app/inbox';
import { ProjectsModule } from '@app/projects';
import { NotionWebhooksController } from './notion-webhooks.controller.js';
import { WebhookIntakeService } from './webhook-intake.service.js';

@Module({
  imports: [ProjectsModule, InboxModule],
  controllers: [NotionWebhooksController],
  providers: [WebhookIntakeService],
})
export class NotionWebhooksModule {}

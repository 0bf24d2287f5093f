import { Module } from '@nestjs/common';
import { InboxModule } from '@app/inbox';
import { ProjectsModule } from '@app/projects';
import { IntakeFailureLimiter } from './intake-failure-limiter.js';
import { NotionWebhooksController } from './notion-webhooks.controller.js';
import { WebhookAdmission } from './webhook-admission.js';
import { WebhookCredentialsCache } from './webhook-credentials.cache.js';
import { WebhookIntakeService } from './webhook-intake.service.js';
import { WebhookSignals } from './webhook-signals.js';

@Module({
  imports: [ProjectsModule, InboxModule],
  controllers: [NotionWebhooksController],
  providers: [WebhookIntakeService, IntakeFailureLimiter, WebhookAdmission, WebhookCredentialsCache, WebhookSignals],
})
export class NotionWebhooksModule {}

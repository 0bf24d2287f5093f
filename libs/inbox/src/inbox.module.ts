import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { InboxService } from './inbox.service.js';
import { WebhookDeliveryEntity } from './webhook-delivery.entity.js';

@Module({
  imports: [TypeOrmModule.forFeature([WebhookDeliveryEntity])],
  providers: [InboxService],
  exports: [InboxService],
})
export class InboxModule {}

export { DeliveryStatus } from './delivery-status.js';
export { InboxModule } from './inbox.module.js';
export { InboxService, type ClaimedDelivery, type RecordedDelivery } from './inbox.service.js';
export { WebhookDeliveryEntity } from './webhook-delivery.entity.js';

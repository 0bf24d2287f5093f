export {
  parseWebhookBody,
  verifyNotionSignature,
  type NotionHandshake,
  type NotionWebhookEnvelope,
  type ParsedWebhookBody,
} from './webhook-payload.js';

export { APP_ENTRY, AppProcess, REPO_ROOT, type AppName, type Exit } from './app-process.js';
export { freePort } from './free-port.js';
export { TcpProxy, type CutMode } from './tcp-proxy.js';
export { ThrowawayRedis } from './throwaway-redis.js';
export { waitFor, type WaitOptions } from './wait-for.js';
export {
  deliveryStatus,
  FIXTURE_NOTION_TOKEN,
  insertDelivery,
  insertProject,
  type DeliveryFixture,
} from './inbox-fixtures.js';
export {
  FakeNotion,
  QueryValidationError,
  type AddPageOptions,
  type AddPagesOptions,
  type FailureInjection,
  type FakeCover,
  type FakeIcon,
  type FakeNotionOptions,
  type FakeNotionSnapshot,
  type FakePage,
  type InjectedFailureStatus,
  type LatencyInjection,
  type LoggedRequest,
  type NotifyOptions,
  type NotifyResult,
  type PageChange,
  type RateLimit,
  type RateLimitedInjection,
} from './fake-notion/fake-notion.js';
export {
  type FakePropertyType,
  type FakePropertyValue,
  type FakeUser,
  type FileInput,
  type SelectOption,
  type ShownValue,
} from './fake-notion/property-values.js';
export { type OptionInput, type PropertyDefinition } from './fake-notion/data-source-schema.js';
export {
  type FakeBlock,
  type FakeBlockContent,
  type FakeBlockInput,
  type FakeFileSource,
  type FakeTextBlockType,
} from './fake-notion/page-content.js';
export { type FileRequest, type HostedFile, type SignedFile } from './fake-notion/hosted-files.js';
export {
  type HandshakeResult,
  type SendWebhookArgs,
  type WebhookAuthor,
  type WebhookDelivery,
  type WebhookTarget,
} from './fake-notion/webhook-sender.js';
export {
  DEMO_DATABASE_ID,
  DEMO_DATA_SOURCE_IDS,
  DEMO_TOKEN,
  seedDemoWorkspace,
  solidPng,
  type DemoWorkspace,
} from './fake-notion/demo-workspace.js';

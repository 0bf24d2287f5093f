export { APP_ENTRY, AppProcess, REPO_ROOT, type AppName, type Exit } from './app-process.js';
export { freePort } from './free-port.js';
export { TcpProxy, type CutMode } from './tcp-proxy.js';
export { ThrowawayRedis } from './throwaway-redis.js';
export { waitFor, type WaitOptions } from './wait-for.js';
export { deliveryStatus, insertDelivery, insertProject, type DeliveryFixture } from './inbox-fixtures.js';
export { FakeNotion, type FakePage, type LoggedRequest } from './fake-notion/fake-notion.js';

import { CreateProjects1764230400000 } from './1764230400000-create-projects.js';
import { CreateWebhookDeliveries1764316800000 } from './1764316800000-create-webhook-deliveries.js';
import { AddDeliveryPendingHandlers1764403200000 } from './1764403200000-add-delivery-pending-handlers.js';
import { IndexInFlightDeliveriesByEntity1764489600000 } from './1764489600000-index-in-flight-deliveries-by-entity.js';
import { CreateNotionPages1764576000000 } from './1764576000000-create-notion-pages.js';
import { CreateSyncFailures1764662400000 } from './1764662400000-create-sync-failures.js';
import { AddWebhookKeys1764748800000 } from './1764748800000-add-webhook-keys.js';
import { AddSyncTokenRejectedAt1764835200000 } from './1764835200000-add-sync-token-rejected-at.js';
import { AddRetention1764921600000 } from './1764921600000-add-retention.js';
import { AddSyncStartedAt1765008000000 } from './1765008000000-add-sync-started-at.js';
import { AddSyncFailedAt1765094400000 } from './1765094400000-add-sync-failed-at.js';
import { CreateProjectSync1765180800000 } from './1765180800000-create-project-sync.js';
import { AddMirrorWriteFunctions1765267200000 } from './1765267200000-add-mirror-write-functions.js';
import { AddTypedValues1765353600000 } from './1765353600000-add-typed-values.js';
import { AddPageContent1765440000000 } from './1765440000000-add-page-content.js';

/**
 * Every migration, in order. An explicit list rather than a glob: TypeORM's
 * file globbing and ESM do not mix well, and a list cannot pick up strays.
 */
export const MIGRATIONS = [
  CreateProjects1764230400000,
  CreateWebhookDeliveries1764316800000,
  AddDeliveryPendingHandlers1764403200000,
  IndexInFlightDeliveriesByEntity1764489600000,
  CreateNotionPages1764576000000,
  CreateSyncFailures1764662400000,
  AddWebhookKeys1764748800000,
  AddSyncTokenRejectedAt1764835200000,
  AddRetention1764921600000,
  AddSyncStartedAt1765008000000,
  AddSyncFailedAt1765094400000,
  CreateProjectSync1765180800000,
  AddMirrorWriteFunctions1765267200000,
  AddTypedValues1765353600000,
  AddPageContent1765440000000,
];

export { KeysetCursorCodec, type KeysetPosition } from './keyset-cursor.js';
export { normalizeProjectName, PROJECT_NAME_MAX, WebhookStatus, type ProjectView } from './project.js';
export { ProjectHooks } from './project-hooks.js';
export { ProjectEntity } from './project.entity.js';
export {
  InvalidCursorError,
  InvalidNotionDatabaseIdError,
  ProjectAlreadyBoundError,
  ProjectNotFoundError,
  ProjectQuotaExceededError,
  WebhookAlreadyVerifiedError,
  WebhookHandshakeLimitedError,
  WebhookTokenMissingError,
} from './projects.errors.js';
export { ProjectsModule } from './projects.module.js';
export {
  ProjectsService,
  WEBHOOK_HANDSHAKES_PER_MINUTE,
  type CreateProjectInput,
  type NewProject,
  type NotionBinding,
  type ProjectPage,
  type UpdateProjectInput,
  type WebhookCredentials,
  type WebhookEndpoint,
  type WebhookSetup,
} from './projects.service.js';
export { isWebhookKey } from './webhook-key.js';
export {
  SecretBox,
  SecretUnreadableError,
  type SealedSecret,
  type SecretOwner,
  type SecretPurpose,
} from './secret-box.js';
export {
  assertSealingKeysPresent,
  describeRotation,
  leftoverKeys,
  MissingSealingKeyError,
  rotateSealedSecrets,
  SEALED_COLUMNS,
  SealedKeysCheck,
  sealedKeyUsage,
  type KeyUsage,
  type RotationReport,
  type SealedColumn,
} from './sealed-secrets.js';

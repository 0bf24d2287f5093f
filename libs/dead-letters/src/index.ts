export { DeadLettersModule } from './dead-letters.module.js';
export { DeadLetters } from './dead-letters.service.js';
export type { FailedJob, PendingRetry, SyncFailureView } from './sync-failure.js';
export { SyncFailureNotFoundError } from './dead-letters.errors.js';

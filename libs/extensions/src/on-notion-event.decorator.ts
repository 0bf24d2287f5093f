import { SetMetadata } from '@nestjs/common';

export const ON_NOTION_EVENT = 'notion-sync:on-notion-event';

/**
 * Runs the decorated provider method for every Notion event of `eventType`
 * (`comment.created`) or of a family (`comment.*`). Each handler runs as a job
 * of its own in the job-worker: retried with backoff like every job, and a
 * failing handler holds back neither the others nor the sync. The method gets
 * a `NotionEventContext`; it must be idempotent (a job may run twice).
 * Startup fails if the family is not one Notion sends.
 */
export const OnNotionEvent = (eventType: string): MethodDecorator => SetMetadata(ON_NOTION_EVENT, eventType);

/** What a handler receives: the stored delivery, never a secret. */
export interface NotionEventContext {
  readonly deliveryId: string;
  readonly projectId: string;
  readonly eventType: string;
  readonly entity: { readonly id: string; readonly type: string } | null;
  /** The event envelope exactly as Notion sent it. */
  readonly payload: Readonly<Record<string, unknown>>;
  readonly correlationId: string;
}

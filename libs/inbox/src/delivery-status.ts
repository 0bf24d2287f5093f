/** Where a webhook delivery stands. Stored values: a wire format. */
export enum DeliveryStatus {
  /** Committed to the inbox; no job holds it yet. */
  Received = 'received',
  /** A job that covers it is queued or running. */
  Enqueued = 'enqueued',
  /** The job that does its work finished ("dispatched" is not "done"). */
  Processed = 'processed',
  /** No job applies (an event type nobody handles, a page outside the database). */
  Ignored = 'ignored',
  /** Its job gave up; `reason` says why. */
  Failed = 'failed',
}

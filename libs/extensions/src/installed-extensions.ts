import type { Type } from '@nestjs/common';

/**
 * Your own Nest modules with `@OnNotionEvent()` handlers. Both the event-worker
 * (which enqueues a job per matching handler) and the job-worker (which runs
 * them) load this list, so add a module here and nowhere else.
 */
export const INSTALLED_EXTENSIONS: Type[] = [];

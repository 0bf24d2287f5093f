import type { Type } from '@nestjs/common';

/**
 * Your own Nest modules with `@OnNotionEvent()` handlers: import each one here
 * and list it (README, "Extending notion-sync"). Both the event-worker (which
 * enqueues a job per matching handler) and the job-worker (which runs them)
 * load this list, and nothing else may import it: a module listed here imports
 * `@app/extensions`, so if `@app/extensions` (or any lib it loads) imported this
 * list, the two would form an ES module cycle and the workers would stop at
 * startup with "Cannot access 'OnNotionEvent' before initialization". ESLint's
 * `no-restricted-imports` keeps it out of libs/.
 */
export const INSTALLED_EXTENSIONS: Type[] = [];

import { SetMetadata } from '@nestjs/common';

export const SKIP_RATE_LIMIT_KEY = 'rateLimit:skip';

/**
 * Exempts a route or controller from the gateway's rate limits: health probes,
 * and the Notion webhook intake (a 429 to Notion loses events). The guards
 * check it first, so such routes never wait on (or need) the limiter's Redis.
 */
export const SkipRateLimit = () => SetMetadata(SKIP_RATE_LIMIT_KEY, true);

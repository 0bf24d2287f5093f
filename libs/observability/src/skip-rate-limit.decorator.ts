import { SetMetadata } from '@nestjs/common';

export const SKIP_RATE_LIMIT_KEY = 'rateLimit:skip';

/**
 * Exempts a route or controller from the gateway's rate limit: health probes,
 * and the Notion webhook intake (a 429 to Notion loses events).
 */
export const SkipRateLimit = () => SetMetadata(SKIP_RATE_LIMIT_KEY, true);

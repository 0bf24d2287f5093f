import { SetMetadata } from '@nestjs/common';

/** Metadata key read by `JwtAuthGuard`; a string so a library can test for it without importing the guard. */
export const IS_PUBLIC_KEY = 'auth:isPublic';

/**
 * Marks a route (or every route of a controller) as needing no bearer token.
 * Everything else is protected by the global `JwtAuthGuard` that `AuthModule` installs.
 */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);

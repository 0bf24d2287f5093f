import { SetMetadata } from '@nestjs/common';

/** Metadata key read by `JwtAuthGuard`; a string so a library can test for it without importing the guard. */
export const IS_PUBLIC_KEY = 'auth:isPublic';

/**
 * Marks a route (or every route of a controller) as needing no bearer token.
 * Everything else is protected by the global `JwtAuthGuard` that `AuthModule` installs.
 */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);

/** Metadata key read by `JwtAuthGuard` for `@AcceptsStreamTicket()`. */
export const ACCEPTS_STREAM_TICKET_KEY = 'auth:acceptsStreamTicket';

/**
 * Lets a route be opened with `?ticket=` (a `StreamTickets` ticket for the
 * route's `:id` project) instead of a bearer token: a browser's `EventSource`
 * cannot send headers. Only the change stream has it, so a ticket opens
 * nothing else. A bearer header, when present, is used instead.
 */
export const AcceptsStreamTicket = () => SetMetadata(ACCEPTS_STREAM_TICKET_KEY, true);

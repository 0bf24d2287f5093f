export { AuthModule } from './auth.module.js';
export { type AuthUser } from './auth-user.js';
export { CurrentUser } from './current-user.decorator.js';
export { signDevToken, type DevTokenOptions } from './dev-token.js';
export { JwtAuthGuard } from './jwt-auth.guard.js';
export { parseTokenArgs, TOKEN_USAGE, tokenFor, TokenUsageError, type TokenArgs } from './token.command.js';
export { ACCEPTS_STREAM_TICKET_KEY, AcceptsStreamTicket, IS_PUBLIC_KEY, Public } from './public.decorator.js';
export { MAX_TICKET_LENGTH, StreamTickets, type OpenedStreamTicket } from './stream-ticket.js';

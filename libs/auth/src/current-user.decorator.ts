import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthUser } from './auth-user.js';

/**
 * The authenticated caller of a protected route. Throws (a 500) when there is
 * none: that means the route is `@Public()` or `AuthModule` is not imported,
 * a wiring bug that must not pass as an anonymous user.
 */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): AuthUser => {
  const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
  if (!user) {
    throw new Error('@CurrentUser() used on a route without an authenticated user (is it @Public()?)');
  }
  return user;
});

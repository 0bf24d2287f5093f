/** The caller of a protected route, as `@CurrentUser()` gives it. */
export interface AuthUser {
  /**
   * The token's `sub`, exactly as the identity provider issued it: a UUID,
   * `auth0|…`, `user_…` (1 to 255 characters). Stored as the owner of the user's data.
   */
  readonly id: string;
}

/** Longest `sub` accepted: owner ids are stored as text and should stay index-friendly. */
export const MAX_SUBJECT_LENGTH = 255;

// eslint-disable-next-line no-control-regex -- matching them is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export function isValidSubject(sub: unknown): sub is string {
  // No control characters: a NUL cannot even be stored in a Postgres text column.
  return typeof sub === 'string' && sub.length > 0 && sub.length <= MAX_SUBJECT_LENGTH && !CONTROL_CHARS.test(sub);
}

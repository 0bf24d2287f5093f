/** Where a project's Notion webhook subscription stands. Stored values: a wire format. */
export enum WebhookStatus {
  /** No verification token yet: Notion has not called the webhook URL. */
  AwaitingHandshake = 'awaiting_handshake',
  /** Notion's verification token is held; the owner has not confirmed it in Notion yet. */
  AwaitingVerification = 'awaiting_verification',
  /** Signed events are expected and checked against the held token. */
  Verified = 'verified',
}

/** A project as the rest of the system sees it: no secrets, no ORM types. */
export interface ProjectView {
  readonly id: string;
  readonly name: string;
  /** Dashed lowercase UUID. */
  readonly notionDatabaseId: string;
  readonly webhookStatus: WebhookStatus;
  /** Whether page bodies are mirrored (issue 14). */
  readonly syncContent: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export const PROJECT_NAME_MAX = 100;

/*
 * Name rules. Lengths count code points, as Postgres counts the characters of
 * `varchar(100)` (an emoji is one, not two UTF-16 units).
 * - Refused anywhere in a name: control characters (C0, DEL, C1), line and
 *   paragraph separators, lone surrogates (Postgres cannot store them;
 *   node-postgres would silently turn them into U+FFFD), and the bidi
 *   embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which
 *   reorder what follows them and let a name display as another.
 * - Allowed but invisible: the bidi marks (U+200E, U+200F, U+061C: mixed-direction
 *   text needs them, and they move no strong character), zero-width joiners
 *   (emoji sequences), other format characters, combining marks.
 * - A name needs at least one visible character: a letter, digit, punctuation
 *   mark or symbol that is not default-ignorable (the Hangul fillers are
 *   letters that render as nothing) and not the blank braille pattern.
 */
const FORBIDDEN_IN_NAME = /[\p{Cc}\p{Zl}\p{Zp}\p{Cs}\u202a-\u202e\u2066-\u2069]/u;
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;
const BLANK_LOOKING = /[\p{Default_Ignorable_Code_Point}\u2800]/u;

function hasVisibleCharacter(text: string): boolean {
  for (const char of text) if (VISIBLE.test(char) && !BLANK_LOOKING.test(char)) return true;
  return false;
}

/**
 * A name as stored: trimmed, 1 to 100 characters (as sent, too: what the API
 * documents as `maxLength`), with a visible character and nothing from the
 * refused set above. Undefined when the name breaks a rule.
 */
export function normalizeProjectName(name: string): string | undefined {
  if ([...name].length > PROJECT_NAME_MAX || FORBIDDEN_IN_NAME.test(name)) return undefined;
  const trimmed = name.trim();
  return hasVisibleCharacter(trimmed) ? trimmed : undefined;
}

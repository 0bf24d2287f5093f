import { ValidateBy, type ValidationOptions } from 'class-validator';
import { UUID_PATTERN } from '@app/database';

/*
 * String rules of the API, each spelled once: the validators use them, and the
 * DTOs' OpenAPI properties quote the same patterns and limits, so the document
 * says exactly what the server enforces.
 */

/** Any UUID in its 8-4-4-4-12 hex form, as OpenAPI's `format: uuid` promises (no version check). */
export { UUID_PATTERN };

/**
 * Notion secrets (integration tokens `secret_…`/`ntn_…`, webhook verification
 * tokens `secret_…`): the characters of an RFC 6750 bearer token (letters,
 * digits, `-._~+/`, then `=` padding). The integration token travels in the
 * Authorization header: a CR, LF, NUL, a character above U+00FF or any other
 * control character makes `fetch` refuse to send it, so such a token could
 * never work. The verification token is an HMAC key and follows Notion's form.
 */
export const NOTION_SECRET_PATTERN = /^[A-Za-z0-9._~+/-]+=*$/;
export const NOTION_SECRET_MAX = 500;

/** Characters of a string as Postgres and JSON Schema's `maxLength` count them: code points. */
export const charCount = (text: string): number => [...text].length;

/** A string of `min` to `max` characters, counted in code points (not UTF-16 units). */
export function IsChars(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isChars',
      constraints: [min, max],
      validator: {
        validate: (value) => typeof value === 'string' && charCount(value) >= min && charCount(value) <= max,
        defaultMessage: (args) => `${args?.property} must be a string of ${min} to ${max} characters`,
      },
    },
    options,
  );
}

/** A Notion secret: 1 to 500 characters of `NOTION_SECRET_PATTERN`. */
export function IsNotionSecret(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isNotionSecret',
      validator: {
        validate: (value) =>
          typeof value === 'string' && value.length <= NOTION_SECRET_MAX && NOTION_SECRET_PATTERN.test(value),
        defaultMessage: (args) =>
          `${args?.property} must be 1 to ${NOTION_SECRET_MAX} characters of A-Z, a-z, 0-9 and -._~+/ ` +
          '(then = padding), as Notion issues them',
      },
    },
    options,
  );
}

/** A UUID (`UUID_PATTERN`); the message names the field. */
export function IsAnyUuid(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isAnyUuid',
      validator: {
        validate: (value) => typeof value === 'string' && UUID_PATTERN.test(value),
        defaultMessage: (args) => `${args?.property} must be a UUID`,
      },
    },
    options,
  );
}

/**
 * The regular expression of the decimal numbers from 0 to `max`, written with
 * 1 to as many digits as `max` has (leading zeros allowed): for a 19-digit
 * bigint bound, a pattern OpenAPI can state and a validator can test.
 */
export function decimalAtMostPattern(max: bigint): RegExp {
  const digits = max.toString();
  const alternatives = digits.length > 1 ? [`\\d{1,${digits.length - 1}}`] : [];
  for (let i = 0; i < digits.length; i++) {
    const digit = Number(digits[i]);
    const rest = digits.length - i - 1;
    if (digit > 0) {
      const lower = digit === 1 ? '0' : `[0-${digit - 1}]`;
      alternatives.push(`${digits.slice(0, i)}${lower}${rest ? `\\d{${rest}}` : ''}`);
    }
  }
  alternatives.push(digits);
  return new RegExp(`^(?:${alternatives.join('|')})$`);
}

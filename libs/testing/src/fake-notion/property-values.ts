import type { RichTextItemResponse, RollupPropertyItemObjectResponse } from '@notionhq/client';
import type { HostedFile } from './hosted-files.js';

/**
 * Page property values as the fake stores them: real-shaped (the `type` plus the
 * value under that key, as in Notion's page object, `@notionhq/client`'s
 * `PageObjectResponse['properties']`), kept full-length. Output truncates list
 * properties to Notion's 25 references; the rest is served by
 * `GET /v1/pages/:id/properties/:propertyId`.
 */

export type SelectColor =
  'default' | 'gray' | 'brown' | 'orange' | 'yellow' | 'green' | 'blue' | 'purple' | 'pink' | 'red';

export interface SelectOption {
  readonly id: string;
  readonly name: string;
  readonly color: SelectColor;
}

export interface DateValue {
  readonly start: string;
  readonly end: string | null;
  readonly time_zone: string | null;
}

/** A user as a test names one: `name` makes the fake send a full user object, as Notion does when it knows it. */
export interface FakeUser {
  readonly id: string;
  readonly name?: string | null;
}

/** Notion's `PartialUserObjectResponse`, or a person `UserObjectResponse` when the name is known. */
export type UserValue =
  | { readonly object: 'user'; readonly id: string }
  | {
      readonly object: 'user';
      readonly id: string;
      readonly name: string | null;
      readonly avatar_url: string | null;
      readonly type: 'person';
      readonly person: Readonly<Record<string, never>>;
    };

export type FileValue = { readonly name: string } & (
  | { readonly type: 'external'; readonly external: { readonly url: string } }
  | { readonly type: 'file'; readonly file: { readonly url: string; readonly expiry_time: string } }
  /** Hosted by the fake: the API shows it as `type: 'file'`, with a URL signed at each render. */
  | { readonly type: 'hosted'; readonly hosted: HostedFile }
);

export type FormulaResult =
  | { readonly type: 'string'; readonly string: string | null }
  | { readonly type: 'number'; readonly number: number | null }
  | { readonly type: 'boolean'; readonly boolean: boolean | null }
  | { readonly type: 'date'; readonly date: DateValue | null };

export type RollupFunction = RollupPropertyItemObjectResponse['rollup']['function'];

/** Array rollups hold property-value-shaped elements (`{type: 'number', number: 3}`), without ids. */
export type RollupResult = { readonly function: RollupFunction } & (
  | { readonly type: 'number'; readonly number: number | null }
  | { readonly type: 'date'; readonly date: DateValue | null }
  | { readonly type: 'array'; readonly array: readonly RollupItem[] }
);

export type VerificationState = 'verified' | 'expired' | 'unverified';

export type VerificationValue =
  | { readonly state: 'verified' | 'expired'; readonly date: DateValue | null; readonly verified_by: UserValue | null }
  | { readonly state: 'unverified'; readonly date: null; readonly verified_by: null };

/** A settable value without its pinned id. */
export type PropertyValueBody =
  | { readonly type: 'title'; readonly title: readonly RichTextItemResponse[] }
  | { readonly type: 'rich_text'; readonly rich_text: readonly RichTextItemResponse[] }
  | { readonly type: 'relation'; readonly relation: readonly { readonly id: string }[] }
  | { readonly type: 'people'; readonly people: readonly UserValue[] }
  | { readonly type: 'number'; readonly number: number | null }
  | { readonly type: 'select'; readonly select: SelectOption | null }
  | { readonly type: 'status'; readonly status: SelectOption | null }
  | { readonly type: 'multi_select'; readonly multi_select: readonly SelectOption[] }
  | { readonly type: 'checkbox'; readonly checkbox: boolean }
  | { readonly type: 'date'; readonly date: DateValue | null }
  | { readonly type: 'url'; readonly url: string | null }
  | { readonly type: 'email'; readonly email: string | null }
  | { readonly type: 'phone_number'; readonly phone_number: string | null }
  | { readonly type: 'files'; readonly files: readonly FileValue[] }
  | {
      readonly type: 'unique_id';
      readonly unique_id: { readonly prefix: string | null; readonly number: number | null };
    }
  | { readonly type: 'formula'; readonly formula: FormulaResult }
  | { readonly type: 'rollup'; readonly rollup: RollupResult }
  | { readonly type: 'verification'; readonly verification: VerificationValue | null };

/**
 * Values Notion derives from the page itself: a data source declares such a
 * property (`FakeNotion.defineProperty`) and every page shows its own times and users.
 */
export type DerivedValue =
  | { readonly type: 'created_time'; readonly created_time: string }
  | { readonly type: 'last_edited_time'; readonly last_edited_time: string }
  | { readonly type: 'created_by'; readonly created_by: UserValue }
  | { readonly type: 'last_edited_by'; readonly last_edited_by: UserValue };

/** What a page shows for a property: a stored value, a derived one, or the type's empty value. */
export type ShownValue = PropertyValueBody | DerivedValue;

export type RollupItem = Exclude<ShownValue, { readonly type: 'rollup' }>;

/** `id` pins the property id; without it the data source assigns one per property name. */
export type FakePropertyValue = { readonly id?: string } & PropertyValueBody;

export type FakePropertyType = ShownValue['type'];
/** select, status and multi_select: their options live in the data source's schema. */
export const OPTION_PROPERTY_TYPES: ReadonlySet<FakePropertyType> = new Set(['select', 'status', 'multi_select']);

/** A page object lists at most this many references per property (Notion's documented limit). */
export const PAGE_OBJECT_LIST_LIMIT = 25;

const PLAIN = {
  bold: false,
  italic: false,
  strikethrough: false,
  underline: false,
  code: false,
  color: 'default',
} as const;

/** One plain text rich-text item, as Notion returns it. */
export function richTextItem(content: string): RichTextItemResponse {
  return { type: 'text', text: { content, link: null }, annotations: { ...PLAIN }, plain_text: content, href: null };
}

/** Select option ids are stable per name, as in Notion, so edits to the same option compare equal. */
export const optionId = (name: string) => Buffer.from(name).toString('base64url').slice(0, 8) || 'empty';

const option = (name: string, color: SelectColor = 'default'): SelectOption => ({ id: optionId(name), name, color });

/** A user as a property value shows it: partial without a name, a person with one. */
export function userValue(user: string | FakeUser): UserValue {
  const { id, name } = typeof user === 'string' ? { id: user, name: undefined } : user;
  if (name === undefined) return { object: 'user', id };
  return { object: 'user', id, name, avatar_url: null, type: 'person', person: {} };
}

/** `2026-01-31` or a date-time; `end` optional. */
const dateValue = (start: string | null, end: string | null = null): DateValue | null =>
  start === null ? null : { start, end, time_zone: null };

/**
 * A `files` value as a test writes it: a file hosted by the fake
 * (`FakeNotion.hostFile`), signed anew at each render, or a URL: an external
 * link, or with `expiryTime` a Notion-hosted URL frozen as given.
 */
export type FileInput =
  | { readonly name: string; readonly hosted: HostedFile }
  | { readonly name: string; readonly url: string; readonly expiryTime?: string };

/**
 * Builders for real-shaped property values:
 * `FakeNotion.prop.relation(ids)`, `.richText('x')`, `.number(3)`, `.select('Done')`, ...
 */
export const prop = {
  /** One segment per string, so a test can build a rich text longer than 25 segments. */
  richText: (text: string | readonly string[]): FakePropertyValue => ({
    type: 'rich_text',
    rich_text: (typeof text === 'string' ? [text] : text).map(richTextItem),
  }),
  relation: (pageIds: readonly string[]): FakePropertyValue => ({
    type: 'relation',
    relation: pageIds.map((id) => ({ id })),
  }),
  /** A user id gives a partial user; `{id, name}` a full one carrying the name. */
  people: (users: readonly (string | FakeUser)[]): FakePropertyValue => ({
    type: 'people',
    people: users.map(userValue),
  }),
  number: (value: number | null): FakePropertyValue => ({ type: 'number', number: value }),
  select: (name: string | null, color?: SelectColor): FakePropertyValue => ({
    type: 'select',
    select: name === null ? null : option(name, color),
  }),
  status: (name: string | null, color?: SelectColor): FakePropertyValue => ({
    type: 'status',
    status: name === null ? null : option(name, color),
  }),
  multiSelect: (names: readonly string[]): FakePropertyValue => ({
    type: 'multi_select',
    multi_select: names.map((name) => option(name)),
  }),
  checkbox: (value: boolean): FakePropertyValue => ({ type: 'checkbox', checkbox: value }),
  /** `start` and `end` as ISO dates (`2026-01-31`) or date-times. */
  date: (start: string | null, end: string | null = null): FakePropertyValue => ({
    type: 'date',
    date: dateValue(start, end),
  }),
  url: (value: string | null): FakePropertyValue => ({ type: 'url', url: value }),
  email: (value: string | null): FakePropertyValue => ({ type: 'email', email: value }),
  phoneNumber: (value: string | null): FakePropertyValue => ({ type: 'phone_number', phone_number: value }),
  files: (files: readonly FileInput[]): FakePropertyValue => ({
    type: 'files',
    files: files.map((file): FileValue => {
      if ('hosted' in file) return { name: file.name, type: 'hosted', hosted: file.hosted };
      const { name, url, expiryTime } = file;
      return expiryTime === undefined
        ? { name, type: 'external', external: { url } }
        : { name, type: 'file', file: { url, expiry_time: expiryTime } };
    }),
  }),
  uniqueId: (number: number | null, prefix: string | null = null): FakePropertyValue => ({
    type: 'unique_id',
    unique_id: { prefix, number },
  }),
  formulaString: (value: string | null): FakePropertyValue => ({
    type: 'formula',
    formula: { type: 'string', string: value },
  }),
  formulaNumber: (value: number | null): FakePropertyValue => ({
    type: 'formula',
    formula: { type: 'number', number: value },
  }),
  formulaBoolean: (value: boolean | null): FakePropertyValue => ({
    type: 'formula',
    formula: { type: 'boolean', boolean: value },
  }),
  formulaDate: (start: string | null, end: string | null = null): FakePropertyValue => ({
    type: 'formula',
    formula: { type: 'date', date: dateValue(start, end) },
  }),
  rollupNumber: (value: number | null, fn: RollupFunction = 'sum'): FakePropertyValue => ({
    type: 'rollup',
    rollup: { type: 'number', number: value, function: fn },
  }),
  rollupDate: (start: string | null, fn: RollupFunction = 'latest_date'): FakePropertyValue => ({
    type: 'rollup',
    rollup: { type: 'date', date: dateValue(start), function: fn },
  }),
  /** Elements are property values of the rolled-up property: `rollupArray([prop.number(3)])`. */
  rollupArray: (
    items: readonly (FakePropertyValue | RollupItem)[],
    fn: RollupFunction = 'show_original',
  ): FakePropertyValue => ({
    type: 'rollup',
    rollup: {
      type: 'array',
      array: items.map((item) => withoutId(item as { readonly id?: string }) as RollupItem),
      function: fn,
    },
  }),
  verification: (
    state: VerificationState,
    options: { readonly date?: string; readonly verifiedBy?: string | FakeUser } = {},
  ): FakePropertyValue => ({
    type: 'verification',
    verification:
      state === 'unverified'
        ? { state, date: null, verified_by: null }
        : {
            state,
            date: dateValue(options.date ?? null),
            verified_by: options.verifiedBy === undefined ? null : userValue(options.verifiedBy),
          },
  }),
} as const;

/** The list behind a list-type property (title, rich_text, relation, people), else undefined. */
export function listItems(value: ShownValue): readonly unknown[] | undefined {
  switch (value.type) {
    case 'title':
      return value.title;
    case 'rich_text':
      return value.rich_text;
    case 'relation':
      return value.relation;
    case 'people':
      return value.people;
    default:
      return undefined;
  }
}

/** A value without its pinned id. */
export function withoutId<T extends { readonly id?: string }>(value: T): Omit<T, 'id'> {
  const { id: _id, ...rest } = value;
  return rest;
}

/**
 * The value as a page object shows it: list properties cut to 25 items, and a
 * relation says `has_more` (the real API does; the SDK's type omits it).
 */
export function pageObjectValue(id: string, value: ShownValue): Record<string, unknown> {
  const items = listItems(value);
  const shown: Record<string, unknown> = { id, ...withoutId(value as ShownValue & { id?: string }) };
  if (items) shown[value.type] = items.slice(0, PAGE_OBJECT_LIST_LIMIT);
  if (value.type === 'relation') shown['has_more'] = value.relation.length > PAGE_OBJECT_LIST_LIMIT;
  return shown;
}

/** One `property_item` object: a whole scalar value, or one element of a list property. */
export function propertyItem(id: string, type: FakePropertyType, value: unknown): Record<string, unknown> {
  return { object: 'property_item', id, type, [type]: value };
}

/** The concatenated `plain_text` of a title or rich text. */
export const plainText = (items: readonly RichTextItemResponse[]) =>
  items.length === 1 ? items[0]!.plain_text : items.map((item) => item.plain_text).join('');

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const stringOrNull = (value: unknown): value is string | null => typeof value === 'string' || value === null;

/** `{start, end?}` or null, as a value's `date`; undefined when it is neither. */
function coerceDate(raw: unknown): DateValue | null | undefined {
  if (raw === null) return null;
  if (!isRecord(raw) || typeof raw['start'] !== 'string') return undefined;
  const end = raw['end'];
  const timeZone = raw['time_zone'];
  return {
    start: raw['start'],
    end: typeof end === 'string' ? end : null,
    time_zone: typeof timeZone === 'string' ? timeZone : null,
  };
}

function coerceUser(raw: unknown): UserValue | undefined {
  if (typeof raw === 'string') return userValue(raw);
  if (!isRecord(raw) || typeof raw['id'] !== 'string') return undefined;
  const name = raw['name'];
  return userValue({ id: raw['id'], ...(stringOrNull(name) ? { name } : {}) });
}

const coerceUsers = (raw: unknown): UserValue[] | undefined => {
  if (!Array.isArray(raw)) return undefined;
  const users = raw.map(coerceUser);
  return users.every((u) => u !== undefined) ? (users as UserValue[]) : undefined;
};

function coerceFile(raw: unknown): FileInput | undefined {
  if (!isRecord(raw) || typeof raw['name'] !== 'string') return undefined;
  const name = raw['name'];
  const file = raw['file'];
  const external = raw['external'];
  const hosted = raw['hosted'];
  if (isRecord(hosted) && typeof hosted['id'] === 'string')
    return { name, hosted: { id: hosted['id'], name: String(hosted['name'] ?? name) } };
  if (isRecord(file) && typeof file['url'] === 'string')
    return {
      name,
      url: file['url'],
      expiryTime: typeof file['expiry_time'] === 'string' ? file['expiry_time'] : new Date(0).toISOString(),
    };
  if (isRecord(external) && typeof external['url'] === 'string') return { name, url: external['url'] };
  return undefined;
}

function coerceFormula(raw: unknown): FakePropertyValue | undefined {
  if (!isRecord(raw)) return undefined;
  const value = raw[String(raw['type'])];
  switch (raw['type']) {
    case 'string':
      return stringOrNull(value) ? prop.formulaString(value) : undefined;
    case 'number':
      return typeof value === 'number' || value === null ? prop.formulaNumber(value) : undefined;
    case 'boolean':
      return typeof value === 'boolean' || value === null ? prop.formulaBoolean(value) : undefined;
    case 'date': {
      const date = coerceDate(value);
      return date === undefined ? undefined : { type: 'formula', formula: { type: 'date', date } };
    }
    default:
      return undefined;
  }
}

function coerceRollup(raw: unknown): FakePropertyValue | undefined {
  if (!isRecord(raw)) return undefined;
  const fn = (typeof raw['function'] === 'string' ? raw['function'] : undefined) as RollupFunction | undefined;
  const value = raw[String(raw['type'])];
  switch (raw['type']) {
    case 'number':
      return typeof value === 'number' || value === null ? prop.rollupNumber(value, fn) : undefined;
    case 'date': {
      const date = coerceDate(value);
      return date === undefined
        ? undefined
        : { type: 'rollup', rollup: { type: 'date', date, function: fn ?? 'latest_date' } };
    }
    case 'array':
      return Array.isArray(value) ? prop.rollupArray(value.map(coerceRollupItem), fn) : undefined;
    default:
      return undefined;
  }
}

function coerceRollupItem(raw: unknown): RollupItem {
  if (isRecord(raw)) {
    const type = raw['type'];
    const inner = raw[String(type)];
    if ((type === 'created_time' || type === 'last_edited_time') && typeof inner === 'string')
      return { type, [type]: inner } as RollupItem;
    if (type === 'created_by' || type === 'last_edited_by') {
      const user = coerceUser(inner);
      if (user) return { type, [type]: user } as RollupItem;
    }
  }
  const value = coercePropertyValue(raw);
  if (value.type === 'rollup') throw new TypeError(`a rollup cannot hold a rollup: ${JSON.stringify(raw)}`);
  return withoutId(value) as RollupItem;
}

function coerceVerification(raw: unknown): FakePropertyValue | undefined {
  if (raw === null) return { type: 'verification', verification: null };
  if (!isRecord(raw)) return undefined;
  const state = raw['state'];
  if (state !== 'verified' && state !== 'expired' && state !== 'unverified') return undefined;
  const date = coerceDate(raw['date'] ?? null);
  const verifiedBy = raw['verified_by'] == null ? null : coerceUser(raw['verified_by']);
  if (date === undefined || verifiedBy === undefined) return undefined;
  if (state === 'unverified') return prop.verification(state);
  return { type: 'verification', verification: { state, date, verified_by: verifiedBy } };
}

/**
 * Accepts the control API's loose JSON: a real-shaped value (`{"type": "select", ...}`),
 * or a shorthand: string -> rich_text, number -> number, boolean -> checkbox.
 */
export function coercePropertyValue(raw: unknown): FakePropertyValue {
  if (typeof raw === 'string') return prop.richText(raw);
  if (typeof raw === 'number') return prop.number(raw);
  if (typeof raw === 'boolean') return prop.checkbox(raw);
  const coerced = isRecord(raw) ? coerceTyped(raw) : undefined;
  if (coerced) return coerced;
  throw new TypeError(`unsupported property value: ${JSON.stringify(raw)}`);
}

function coerceTyped(value: Record<string, unknown>): FakePropertyValue | undefined {
  const type = value['type'];
  const inner = typeof type === 'string' ? value[type] : undefined;
  switch (type) {
    case 'select':
    case 'status': {
      if (inner === null) return prop[type](null);
      const name = isRecord(inner) ? inner['name'] : undefined;
      return typeof name === 'string' ? prop[type](name) : undefined;
    }
    case 'multi_select':
      return Array.isArray(inner)
        ? prop.multiSelect(inner.map((o) => String((o as { name?: unknown }).name)))
        : undefined;
    case 'relation':
      return Array.isArray(inner) ? prop.relation(inner.map((r) => String((r as { id?: unknown }).id))) : undefined;
    case 'people': {
      const users = coerceUsers(inner);
      return users ? { type: 'people', people: users } : undefined;
    }
    case 'rich_text':
      if (Array.isArray(inner))
        return prop.richText(inner.map((r) => String((r as { text?: { content?: unknown } }).text?.content ?? '')));
      return typeof inner === 'string' ? prop.richText(inner) : undefined;
    case 'date': {
      const date = coerceDate(inner);
      return date === undefined ? undefined : { type: 'date', date };
    }
    case 'number':
      return typeof inner === 'number' || inner === null ? prop.number(inner) : undefined;
    case 'checkbox':
      return typeof inner === 'boolean' ? prop.checkbox(inner) : undefined;
    case 'url':
    case 'email':
      return stringOrNull(inner) ? prop[type](inner) : undefined;
    case 'phone_number':
      return stringOrNull(inner) ? prop.phoneNumber(inner) : undefined;
    case 'files': {
      const files = Array.isArray(inner) ? inner.map(coerceFile) : undefined;
      return files?.every((f) => f !== undefined) ? prop.files(files as FileInput[]) : undefined;
    }
    case 'unique_id': {
      const number = isRecord(inner) ? inner['number'] : undefined;
      const prefix = isRecord(inner) ? (inner['prefix'] ?? null) : undefined;
      return (typeof number === 'number' || number === null) && stringOrNull(prefix)
        ? prop.uniqueId(number, prefix)
        : undefined;
    }
    case 'formula':
      return coerceFormula(inner);
    case 'rollup':
      return coerceRollup(inner);
    case 'verification':
      return coerceVerification(inner);
    default:
      return undefined;
  }
}

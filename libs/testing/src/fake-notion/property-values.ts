import type { RichTextItemResponse } from '@notionhq/client';

/**
 * Page property values as the fake stores them: real-shaped (the `type` plus the
 * value under that key, as in Notion's page object), kept full-length. Output
 * truncates list properties to Notion's 25 references; the rest is served by
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

/** `id` pins the property id; without it the data source assigns one per property name. */
export type FakePropertyValue = { readonly id?: string } & (
  | { readonly type: 'title'; readonly title: readonly RichTextItemResponse[] }
  | { readonly type: 'rich_text'; readonly rich_text: readonly RichTextItemResponse[] }
  | { readonly type: 'relation'; readonly relation: readonly { readonly id: string }[] }
  | { readonly type: 'people'; readonly people: readonly { readonly object: 'user'; readonly id: string }[] }
  | { readonly type: 'number'; readonly number: number | null }
  | { readonly type: 'select'; readonly select: SelectOption | null }
  | { readonly type: 'status'; readonly status: SelectOption | null }
  | { readonly type: 'multi_select'; readonly multi_select: readonly SelectOption[] }
  | { readonly type: 'checkbox'; readonly checkbox: boolean }
  | { readonly type: 'date'; readonly date: DateValue | null }
  | { readonly type: 'url'; readonly url: string | null }
  | { readonly type: 'email'; readonly email: string | null }
  | { readonly type: 'phone_number'; readonly phone_number: string | null }
);

export type FakePropertyType = FakePropertyValue['type'];

/** The property types Notion paginates through the property item endpoint. */
export const LIST_PROPERTY_TYPES: ReadonlySet<FakePropertyType> = new Set(['title', 'rich_text', 'relation', 'people']);

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
const optionId = (name: string) => Buffer.from(name).toString('base64url').slice(0, 8) || 'empty';

const option = (name: string, color: SelectColor = 'default'): SelectOption => ({ id: optionId(name), name, color });

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
  people: (userIds: readonly string[]): FakePropertyValue => ({
    type: 'people',
    people: userIds.map((id) => ({ object: 'user', id })),
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
    date: start === null ? null : { start, end, time_zone: null },
  }),
  url: (value: string | null): FakePropertyValue => ({ type: 'url', url: value }),
  email: (value: string | null): FakePropertyValue => ({ type: 'email', email: value }),
  phoneNumber: (value: string | null): FakePropertyValue => ({ type: 'phone_number', phone_number: value }),
} as const;

/** The list behind a list-type property (title, rich_text, relation, people), else undefined. */
export function listItems(value: FakePropertyValue): readonly unknown[] | undefined {
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

/** The stored value without its pinned id. */
function withoutId(value: FakePropertyValue): Record<string, unknown> {
  const { id: _id, ...rest } = value;
  return rest;
}

/**
 * The value as a page object shows it: list properties cut to 25 items, and a
 * relation says `has_more` (the real API does; the SDK's type omits it).
 */
export function pageObjectValue(id: string, value: FakePropertyValue): Record<string, unknown> {
  const items = listItems(value);
  const shown: Record<string, unknown> = { id, ...withoutId(value) };
  if (items) shown[value.type] = items.slice(0, PAGE_OBJECT_LIST_LIMIT);
  if (value.type === 'relation') shown['has_more'] = value.relation.length > PAGE_OBJECT_LIST_LIMIT;
  return shown;
}

/** One `property_item` object: a whole scalar value, or one element of a list property. */
export function propertyItem(id: string, type: FakePropertyType, value: unknown): Record<string, unknown> {
  return { object: 'property_item', id, type, [type]: value };
}

/**
 * Accepts the control API's loose JSON: a real-shaped value (`{"type": "select", ...}`),
 * or a shorthand: string -> rich_text, number -> number, boolean -> checkbox.
 */
export function coercePropertyValue(raw: unknown): FakePropertyValue {
  if (typeof raw === 'string') return prop.richText(raw);
  if (typeof raw === 'number') return prop.number(raw);
  if (typeof raw === 'boolean') return prop.checkbox(raw);
  if (raw && typeof raw === 'object' && 'type' in raw) {
    const value = raw as Record<string, unknown>;
    const type = value['type'];
    const inner = typeof type === 'string' ? value[type] : undefined;
    switch (type) {
      case 'select':
      case 'status': {
        const name = (inner as { name?: unknown } | null)?.name;
        if (inner === null) return prop[type](null);
        if (typeof name === 'string') return prop[type](name);
        break;
      }
      case 'multi_select':
        if (Array.isArray(inner)) return prop.multiSelect(inner.map((o) => String((o as { name?: unknown }).name)));
        break;
      case 'relation':
        if (Array.isArray(inner)) return prop.relation(inner.map((r) => String((r as { id?: unknown }).id)));
        break;
      case 'people':
        if (Array.isArray(inner)) return prop.people(inner.map((r) => String((r as { id?: unknown }).id)));
        break;
      case 'rich_text':
        if (Array.isArray(inner))
          return prop.richText(inner.map((r) => String((r as { text?: { content?: unknown } }).text?.content ?? '')));
        if (typeof inner === 'string') return prop.richText(inner);
        break;
      case 'date':
        if (inner === null) return prop.date(null);
        if (typeof (inner as { start?: unknown }).start === 'string') {
          const { start, end } = inner as { start: string; end?: unknown };
          return prop.date(start, typeof end === 'string' ? end : null);
        }
        break;
      case 'number':
        if (typeof inner === 'number' || inner === null) return prop.number(inner);
        break;
      case 'checkbox':
        if (typeof inner === 'boolean') return prop.checkbox(inner);
        break;
      case 'url':
      case 'email':
        if (typeof inner === 'string' || inner === null) return prop[type](inner);
        break;
      case 'phone_number':
        if (typeof inner === 'string' || inner === null) return prop.phoneNumber(inner);
        break;
    }
  }
  throw new TypeError(`unsupported property value: ${JSON.stringify(raw)}`);
}

/** A data source's schema entry for a property, shaped like Notion's data source object. */
export function schemaEntry(
  name: string,
  id: string,
  type: FakePropertyType,
  relationTarget: { databaseId: string; dataSourceId: string },
): Record<string, unknown> {
  const config: Record<FakePropertyType, unknown> = {
    title: {},
    rich_text: {},
    relation: {
      database_id: relationTarget.databaseId,
      data_source_id: relationTarget.dataSourceId,
      type: 'single_property',
      single_property: {},
    },
    people: {},
    number: { format: 'number' },
    select: { options: [] },
    status: { options: [], groups: [] },
    multi_select: { options: [] },
    checkbox: {},
    date: {},
    url: {},
    email: {},
    phone_number: {},
  };
  return { id, name, description: null, type, [type]: config[type] };
}

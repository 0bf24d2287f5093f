import { isJsonObject, notionIdOrAsGiven, richTextPlain } from '@app/notion';

/**
 * One queryable element of a property value: a row of `page_values` (text,
 * boolean), `page_numbers` or `page_dates`, by which columns it has (see
 * docs/queries.md, "Storage"). `p` is the property id, `o` the element's
 * position in a list (0 for a single value); the typed columns hold what the
 * query language compares: `t` text, `n` number, `d` an instant (ISO), `b` boolean.
 * Short keys: cells travel as JSON to `mirror_write`, one per value element.
 */
export interface ValueCell {
  readonly p: string;
  readonly o: number;
  readonly t?: string;
  /** `t` lower-cased (Unicode): what text conditions and sorts compare. */
  readonly k?: string;
  readonly n?: number;
  readonly d?: string;
  readonly b?: boolean;
}

/** A page's plain values, keyed by property id, and their cells. */
export interface PlainValues {
  readonly values: Record<string, unknown>;
  readonly cells: ValueCell[];
}

type Raw = Record<string, unknown>;
type Element = Omit<ValueCell, 'p' | 'o'>;

/** Notion's date value in our plain shape, and the instant its start stands for. */
function plainDate(raw: unknown): { value: unknown; element?: Element } {
  if (!isJsonObject(raw) || typeof raw['start'] !== 'string') return { value: null };
  const value = { start: raw['start'], end: raw['end'] ?? null, timeZone: raw['time_zone'] ?? null };
  return { value, element: instant(raw['start']) };
}

/** A date-only start (`2026-01-31`) is midnight UTC; a date-time, its own instant. */
function instant(text: string): Element | undefined {
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : { d: new Date(at).toISOString() };
}

const textElement = (text: string | null | undefined): Element[] => (text ? [{ t: text }] : []);

function plainUser(raw: unknown): { id: string; name: string | null } | null {
  if (!isJsonObject(raw) || typeof raw['id'] !== 'string') return null;
  return { id: notionIdOrAsGiven(raw['id']), name: typeof raw['name'] === 'string' ? raw['name'] : null };
}

/**
 * The plain value of one property value object (`{type, [type]: …}`) and its
 * elements; `undefined` value for a type we do not know (the caller keeps it raw).
 */
function mapValue(raw: Raw): { value: unknown; elements: Element[] } | undefined {
  const type = raw['type'];
  if (typeof type !== 'string') return undefined;
  const inner = raw[type];
  switch (type) {
    case 'title':
    case 'rich_text': {
      const text = richTextPlain(inner);
      return { value: text, elements: textElement(text) };
    }
    case 'url':
    case 'email':
    case 'phone_number': {
      const text = typeof inner === 'string' ? inner : null;
      return { value: text, elements: textElement(text) };
    }
    case 'number':
      return typeof inner === 'number' ? { value: inner, elements: [{ n: inner }] } : { value: null, elements: [] };
    case 'checkbox':
      return { value: inner === true, elements: [{ b: inner === true }] };
    case 'select':
    case 'status': {
      const name = isJsonObject(inner) && typeof inner['name'] === 'string' ? inner['name'] : null;
      return { value: name, elements: name === null ? [] : [{ t: name }] };
    }
    case 'multi_select': {
      const names = Array.isArray(inner)
        ? inner.flatMap((o) => (isJsonObject(o) ? [String(o['name'] ?? '')] : []))
        : [];
      return { value: names, elements: names.map((t) => ({ t })) };
    }
    case 'date': {
      const { value, element } = plainDate(inner);
      return { value, elements: element ? [element] : [] };
    }
    case 'people': {
      const people = Array.isArray(inner) ? inner.flatMap((u) => plainUser(u) ?? []) : [];
      return { value: people, elements: people.map((u) => ({ t: u.id })) };
    }
    case 'created_by':
    case 'last_edited_by': {
      const user = plainUser(inner);
      return { value: user, elements: user ? [{ t: user.id }] : [] };
    }
    case 'relation': {
      const ids = Array.isArray(inner)
        ? inner.flatMap((r) => (isJsonObject(r) && typeof r['id'] === 'string' ? [notionIdOrAsGiven(r['id'])] : []))
        : [];
      return { value: ids, elements: ids.map((t) => ({ t })) };
    }
    case 'files': {
      const files = Array.isArray(inner)
        ? inner.flatMap((f) => {
            if (!isJsonObject(f)) return [];
            const hosted = f[String(f['type'])];
            const url = isJsonObject(hosted) && typeof hosted['url'] === 'string' ? hosted['url'] : null;
            return [{ name: String(f['name'] ?? ''), url }];
          })
        : [];
      return { value: files, elements: files.map((f) => ({ t: f.name })) };
    }
    case 'created_time':
    case 'last_edited_time':
      // Queried through the page's own columns: no cells.
      return { value: typeof inner === 'string' ? inner : null, elements: [] };
    case 'unique_id': {
      if (!isJsonObject(inner) || typeof inner['number'] !== 'number') return { value: null, elements: [] };
      const prefix = typeof inner['prefix'] === 'string' && inner['prefix'] !== '' ? inner['prefix'] : null;
      const text = prefix ? `${prefix}-${inner['number']}` : String(inner['number']);
      return { value: text, elements: [{ t: text, n: inner['number'] }] };
    }
    case 'verification': {
      const state = isJsonObject(inner) && typeof inner['state'] === 'string' ? inner['state'] : 'unverified';
      return { value: state, elements: [{ t: state }] };
    }
    case 'formula': {
      if (!isJsonObject(inner)) return { value: null, elements: [] };
      switch (inner['type']) {
        case 'string':
          return textValue(inner['string']);
        case 'number':
          return mapValue({ type: 'number', number: inner['number'] });
        case 'boolean':
          return typeof inner['boolean'] === 'boolean'
            ? { value: inner['boolean'], elements: [{ b: inner['boolean'] }] }
            : { value: null, elements: [] };
        case 'date':
          return mapValue({ type: 'date', date: inner['date'] });
        default:
          return { value: null, elements: [] };
      }
    }
    case 'rollup': {
      if (!isJsonObject(inner)) return { value: null, elements: [] };
      switch (inner['type']) {
        case 'number':
          return mapValue({ type: 'number', number: inner['number'] });
        case 'date':
          return mapValue({ type: 'date', date: inner['date'] });
        case 'array': {
          const values: unknown[] = [];
          const elements: Element[] = [];
          for (const item of Array.isArray(inner['array']) ? inner['array'] : []) {
            const mapped = isJsonObject(item) ? mapValue(item) : undefined;
            values.push(mapped ? mapped.value : item);
            if (mapped) elements.push(...mapped.elements);
          }
          return { value: values, elements };
        }
        default:
          return { value: null, elements: [] };
      }
    }
    default:
      return undefined;
  }
}

function textValue(raw: unknown): { value: unknown; elements: Element[] } {
  const text = typeof raw === 'string' ? raw : null;
  return { value: text, elements: textElement(text) };
}

/**
 * The plain values of a page's `properties` (Notion's page object, keyed by
 * name), keyed by property id, with their cells. A type we do not know keeps
 * its raw value object (never an error) and gets no cells.
 */
export function plainValues(properties: Readonly<Record<string, unknown>>): PlainValues {
  const values: Record<string, unknown> = {};
  const cells: ValueCell[] = [];
  for (const raw of Object.values(properties)) {
    if (!isJsonObject(raw) || typeof raw['id'] !== 'string') continue;
    const id = raw['id'];
    const mapped = mapValue(raw);
    if (!mapped) {
      values[id] = raw;
      continue;
    }
    values[id] = mapped.value;
    mapped.elements.forEach((element, o) =>
      cells.push(
        element.t === undefined ? { p: id, o, ...element } : { p: id, o, ...element, k: element.t.toLowerCase() },
      ),
    );
  }
  return { values, cells };
}

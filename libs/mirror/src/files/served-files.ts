import { rewritePageFiles } from '@app/notion';

/** A page's parts that can show Notion-hosted files, as stored (files by identity). */
export interface FileParts {
  readonly properties: Record<string, unknown>;
  readonly values: Record<string, unknown>;
  readonly icon: unknown;
  readonly cover: unknown;
}

/**
 * The parts with each stored file identity replaced by its link: in
 * `properties`, `icon` and `cover` (Notion's `file` objects), and in `values`
 * (plain `files` values carry the same identities as their `url`).
 */
export function servedFiles(parts: FileParts, link: (identity: string) => string): FileParts {
  const linked = new Map<string, string>();
  const linkOnce = (identity: string) => {
    // Only identities (origin and path): a row stored before identities were
    // (a signed URL, with its query) is served as it is until its next fetch.
    if (identity.includes('?')) return identity;
    let url = linked.get(identity);
    if (url === undefined) linked.set(identity, (url = link(identity)));
    return url;
  };
  const rewritten = rewritePageFiles({ properties: parts.properties, icon: parts.icon, cover: parts.cover }, linkOnce);
  return {
    properties: rewritten.properties,
    icon: rewritten.icon,
    cover: rewritten.cover,
    values: linked.size === 0 ? parts.values : (replaceStrings(parts.values, linked) as Record<string, unknown>),
  };
}

function replaceStrings(value: unknown, map: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') return map.get(value) ?? value;
  if (Array.isArray(value)) return value.map((v) => replaceStrings(v, map));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceStrings(v, map)]));
  }
  return value;
}

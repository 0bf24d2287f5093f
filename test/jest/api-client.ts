import { randomBytes, randomUUID } from 'node:crypto';
import { signDevToken } from '@app/auth';
import type { AppConfig } from '@app/config';
import type { FakeNotion } from '@app/testing';

// Response bodies are whatever the API answered: specs read the fields they check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/** One JSON call to the public API: status, parsed body ({} when empty) and headers. */
export type ApiCall = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<{ status: number; body: Json; headers: Headers }>;

/**
 * A user of the public API at `base` (`http://host:port/api/v1`): a new
 * identity (`sub`) with a development token signed with the config's secret.
 */
export function apiUser(config: AppConfig, base: string, sub = `auth0|${randomUUID()}`): ApiCall {
  const bearer = signDevToken({
    secret: config.auth.mode === 'secret' ? config.auth.secret : '',
    sub,
    ttlSeconds: 3600,
  });
  return async (method, path, body, headers = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, headers: res.headers };
  };
}

/** What `bindNotionDatabase` made: the project, its Notion side, and where Notion sends its events. */
export interface BoundProject<T> {
  readonly id: string;
  /** The integration token (only this database is shared with it). */
  readonly token: string;
  readonly databaseId: string;
  readonly dataSourceIds: string[];
  /** What `seed` returned. */
  readonly seeded: T;
  /** The webhook URL from the create answer, and the verification token the project was created with. */
  readonly webhook: { readonly url: string; readonly verificationToken: string };
  /** The create answer's `sync`. */
  readonly sync: Json;
}

/**
 * A database on the fake Notion (one data source per name, filled by `seed`),
 * shared with an integration token of its own and bound to a new project
 * through the API, with a webhook secret (so signed events are accepted).
 */
export async function bindNotionDatabase<T = void>(
  notion: FakeNotion,
  call: ApiCall,
  dataSources: string[] = ['Tasks'],
  seed: (dataSourceIds: string[]) => T = () => undefined as T,
  /** More fields of the create request (`syncContent`...). */
  extra: Record<string, unknown> = {},
): Promise<BoundProject<T>> {
  const token = `secret_${randomBytes(12).toString('hex')}`;
  const verificationToken = `secret_${randomBytes(12).toString('hex')}`;
  const { databaseId, dataSourceIds } = notion.addDatabase('Tasks', dataSources);
  notion.share(token, databaseId);
  const seeded = seed(dataSourceIds);
  const res = await call('POST', '/projects', {
    name: 'Tasks',
    notionDatabaseId: databaseId,
    notionToken: token,
    notionWebhookSecret: verificationToken,
    ...extra,
  });
  if (res.status !== 201) throw new Error(`POST /projects answered ${res.status}: ${JSON.stringify(res.body)}`);
  return {
    id: res.body.id as string,
    token,
    databaseId,
    dataSourceIds,
    seeded,
    webhook: { url: res.body.webhook.url as string, verificationToken },
    sync: res.body.sync as Json,
  };
}

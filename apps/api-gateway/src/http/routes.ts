import { FILES_PATH } from '@app/mirror';

/**
 * The gateway's public paths, spelled once: controllers are mounted from these
 * and the URLs handed to users (Location, the webhook URL) are built from them.
 */
export const API_PREFIX = 'api/v1';
export const PROJECTS_PATH = 'projects';
export const NOTION_WEBHOOKS_PATH = 'webhooks/notion';

/**
 * The URL Notion must call for a project (goes into Notion's integration
 * settings): its secret key, or its id for a legacy URL. A secret: shown only
 * to the owner.
 */
export const notionWebhookUrl = (publicBaseUrl: string, keyOrLegacyId: string) =>
  `${publicBaseUrl}/${API_PREFIX}/${NOTION_WEBHOOKS_PATH}/${keyOrLegacyId}`;

const SECRET_PATH_SEGMENT = new RegExp(`(/${API_PREFIX}/(?:${NOTION_WEBHOOKS_PATH}|${FILES_PATH})/)[^/?#]*`, 'g');

/** A stream ticket in a query string (it opens the stream for a minute). */
const TICKET_PARAMETER = /([?&]ticket=)[^&#]*/g;

/**
 * A request path fit for logs and error bodies: the webhook key (the secret
 * part of a webhook URL) and a file link's ref (anyone holding it may fetch
 * the file) replaced by `[redacted]`, and so is a stream ticket (`?ticket=`).
 */
export const redactPath = (url: string): string =>
  url.replace(SECRET_PATH_SEGMENT, '$1[redacted]').replace(TICKET_PARAMETER, '$1[redacted]');

export const projectPath = (projectId: string) => `/${API_PREFIX}/${PROJECTS_PATH}/${projectId}`;

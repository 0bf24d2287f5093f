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

/**
 * A query string with the values of stream tickets (they open a stream for a
 * minute) replaced, however the key is spelled (`%74icket` is `ticket` to the
 * router too).
 */
function redactTickets(url: string): string {
  const query = url.indexOf('?');
  if (query === -1) return url;
  const parameters = url
    .slice(query + 1)
    .split('&')
    .map((parameter) => {
      const equals = parameter.indexOf('=');
      const name = equals === -1 ? parameter : parameter.slice(0, equals);
      return decodedName(name) === 'ticket' ? `${name}=[redacted]` : parameter;
    });
  return `${url.slice(0, query)}?${parameters.join('&')}`;
}

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/**
 * A request path fit for logs and error bodies: the webhook key (the secret
 * part of a webhook URL) and a file link's ref (anyone holding it may fetch
 * the file) replaced by `[redacted]`, and so is a stream ticket (`?ticket=`).
 */
export const redactPath = (url: string): string => redactTickets(url.replace(SECRET_PATH_SEGMENT, '$1[redacted]'));

export const projectPath = (projectId: string) => `/${API_PREFIX}/${PROJECTS_PATH}/${projectId}`;

/**
 * The gateway's public paths, spelled once: controllers are mounted from these
 * and the URLs handed to users (Location, the webhook URL) are built from them.
 */
export const API_PREFIX = 'api/v1';
export const PROJECTS_PATH = 'projects';
export const NOTION_WEBHOOKS_PATH = 'webhooks/notion';

/** The URL Notion must call for a project (goes into Notion's integration settings). */
export const notionWebhookUrl = (publicBaseUrl: string, projectId: string) =>
  `${publicBaseUrl}/${API_PREFIX}/${NOTION_WEBHOOKS_PATH}/${projectId}`;

export const projectPath = (projectId: string) => `/${API_PREFIX}/${PROJECTS_PATH}/${projectId}`;

/**
 * The HTML renderer of page bodies, loaded on first use: markdown-it and
 * sanitize-html (with htmlparser2) cost the gateway about 19 MiB of resident
 * memory, for a format many deployments never serve.
 */
export const loadContentHtml = (): Promise<typeof import('./content-html.js')> => import('./content-html.js');

export type { MirrorPageView } from './mirror-page.js';
export { MirrorModule } from './mirror.module.js';
export {
  MirrorReader,
  type ListPagesOptions,
  type MirrorChanges,
  type PageListing,
  type PagePosition,
} from './mirror.reader.js';
export { NotionPageEntity } from './notion-page.entity.js';
export { ChangesExpiredError, PageNotFoundError } from './read/mirror.errors.js';
export { isTitleSearch, TITLE_SEARCH_MAX } from './read/title-search.js';

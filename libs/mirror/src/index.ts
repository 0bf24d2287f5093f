export type { MirrorPageView, MirrorRow } from './mirror-page.js';
export { MirrorModule } from './mirror.module.js';
export {
  MirrorReader,
  type ListPagesOptions,
  type MirrorChanges,
  type PageListing,
  type PagePosition,
} from './mirror.reader.js';
export { MirrorRetention, type ExpiredTombstone } from './mirror.retention.js';
export { MirrorWriter, type MirrorWrite } from './mirror.writer.js';
export { NotionPageEntity } from './notion-page.entity.js';
export { ChangesExpiredError, PageNotFoundError } from './read/mirror.errors.js';
export { isTitleSearch, TITLE_SEARCH_MAX } from './read/title-search.js';

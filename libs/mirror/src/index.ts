export {
  ContentReader,
  type ContentLookup,
  type PageContentView,
  type UnknownBlockView,
} from './content/content.reader.js';
export { FILES_PATH, FileLinks, type FileLinker, type ResolvedFile } from './files/file-links.js';
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
export {
  ChangesExpiredError,
  FileLinkInvalidError,
  FileNotFoundError,
  FileUnavailableError,
  PageContentNotFoundError,
  PageNotFoundError,
} from './read/mirror.errors.js';
export { isTitleSearch, TITLE_SEARCH_MAX } from './read/title-search.js';
export {
  MirrorQuery,
  type PageQueryInput,
  type PageQueryResult,
  type PreparedQuery,
  type QueryPosition,
} from './query/mirror.query.js';
export { InvalidQueryError, type QueryProblem } from './query/query.errors.js';
export { loadContentHtml } from './content/load-content-html.js';
export { SchemaReader } from './read/schema.reader.js';
export { SELECTION_MAX } from './read/served-values.js';
export {
  FILE_REF_MAX_LENGTH,
  FileLinkCodec,
  type FileLinkRefusal,
  type FileLinkTarget,
  type OpenedFileLink,
} from './files/file-link.codec.js';

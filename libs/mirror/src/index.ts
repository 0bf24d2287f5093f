export type { MirrorPageView, MirrorRow } from './mirror-page.js';
export { MirrorModule } from './mirror.module.js';
export { MirrorReader } from './mirror.reader.js';
export { MirrorWriter, type MirrorWrite } from './mirror.writer.js';
export { NotionPageEntity } from './notion-page.entity.js';

/**
 * The data source for the TypeORM CLI (`npm run migration:*`), built from the
 * same validated config as the apps. It lists every domain lib's entities, so
 * it lives here in the CLI app: libs/database imports no domain lib.
 */
import { DataSource, type DataSourceOptions } from 'typeorm';
import { loadConfigOrExit } from '@app/config';
import { WebhookDeliveryEntity } from '@app/inbox';
import { NotionPageEntity } from '@app/mirror';
import { ProjectEntity } from '@app/projects';
import { buildDataSourceOptions } from '@app/database';

/** Every entity, for `migration:generate` (the apps use `autoLoadEntities`). */
const CLI_ENTITIES: NonNullable<DataSourceOptions['entities']> = [
  ProjectEntity,
  WebhookDeliveryEntity,
  NotionPageEntity,
];

export default new DataSource(
  buildDataSourceOptions(loadConfigOrExit(), {
    applicationName: 'notion-sync-cli',
    entities: CLI_ENTITIES,
    forMigrations: true,
  }),
);

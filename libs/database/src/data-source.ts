/**
 * The data source for the TypeORM CLI (`npm run migration:*`), built from the
 * same validated config as the apps.
 */
import { DataSource } from 'typeorm';
import { loadConfigOrExit } from '@app/config';
import { buildDataSourceOptions } from './data-source.options.js';

export default new DataSource(buildDataSourceOptions(loadConfigOrExit(), 'notion-sync-cli'));

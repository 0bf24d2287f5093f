import { describe, expect, it } from '@jest/globals';
import { JobName } from '@app/contracts';
import { routeFor } from './event-routes.js';

describe('routeFor', () => {
  it.each([
    'page.created',
    'page.content_updated',
    'page.properties_updated',
    'page.moved',
    'page.deleted',
    'page.undeleted',
  ])('sends %s to sync-page', (type) => expect(routeFor(type, 'e1')).toEqual({ job: JobName.SyncPage }));

  it.each([
    'database.content_updated',
    'database.schema_updated',
    'data_source.content_updated',
    'data_source.deleted',
  ])('sends %s to sync-database', (type) => expect(routeFor(type, 'e1')).toEqual({ job: JobName.SyncDatabase }));

  it.each(['comment.created', 'page.locked', 'file_upload.completed', 'hologram.materialized'])(
    'ignores %s, saying why',
    (type) => {
      expect(routeFor(type, 'e1')).toEqual({ ignore: `no job handles ${type} events` });
    },
  );

  it('ignores an event without an entity', () => {
    expect(routeFor('page.created', null)).toEqual({ ignore: 'page.created event names no entity' });
  });
});

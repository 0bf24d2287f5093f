import { describe, expect, it } from '@jest/globals';
import { asJobItem, isJobItem, JobName, jobSubject } from './jobs.js';

const page = { projectId: 'p', pageId: 'g', correlationId: 'c' };

describe('JobItem', () => {
  it('reads a known job whose data holds every field', () => {
    const item = asJobItem('sync-page', page);
    expect(item).toEqual({ name: JobName.SyncPage, data: page });
    expect(jobSubject(item!)).toBe('g');
    expect(jobSubject(asJobItem('full-sync', { projectId: 'p', correlationId: 'c' })!)).toBeNull();
    expect(jobSubject(asJobItem('sync-database', { projectId: 'p', entityId: 'e', correlationId: 'c' })!)).toBe('e');
    const handler = { deliveryId: 'd', projectId: 'p', handler: 'A.b', correlationId: 'c' };
    expect(jobSubject(asJobItem('run-event-handler', handler)!)).toBe('d');
  });

  it('refuses an unknown name, missing or mistyped fields, and data that is not an object', () => {
    expect(asJobItem('sync-pages', page)).toBeUndefined();
    expect(asJobItem('toString', page)).toBeUndefined();
    expect(asJobItem('sync-page', { projectId: 'p', correlationId: 'c' })).toBeUndefined();
    expect(asJobItem('sync-page', { ...page, pageId: 7 })).toBeUndefined();
    expect(asJobItem('full-sync', null)).toBeUndefined();
    expect(asJobItem('full-sync', 'p')).toBeUndefined();
    expect(isJobItem({ name: 'full-sync', data: { projectId: 'p', correlationId: 'c' } })).toBe(true);
  });
});

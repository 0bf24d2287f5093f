import { describe, expect, it } from '@jest/globals';
import { parseMessage } from './feed-listener.js';

describe('parseMessage', () => {
  it('reads the projects of an announcement, with their receipt when given', () => {
    expect(parseMessage(JSON.stringify({ projects: [{ projectId: 'a', receivedAt: 5 }, { projectId: 'b' }] }))).toEqual(
      [{ projectId: 'a', receivedAt: 5 }, { projectId: 'b' }],
    );
  });

  it('ignores what is not an announcement, and entries without a project id', () => {
    for (const text of ['', 'nope', 'null', '[]', '{}', '{"projects":{}}', '{"pattern":"x","data":{}}']) {
      expect(parseMessage(text)).toEqual([]);
    }
    expect(parseMessage('{"projects":[null,1,{"projectId":7},{"projectId":"c","receivedAt":"soon"}]}')).toEqual([
      { projectId: 'c' },
    ]);
  });
});

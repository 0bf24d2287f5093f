import { describe, expect, it } from '@jest/globals';
import { APIErrorCode, APIResponseError, type Client } from '@notionhq/client';
import { cutAt, MAX_PARTS, readPageBody } from './page-body.js';

type Answer = { markdown: string; truncated?: boolean; unknown?: string[] } | { status: 400 | 404 | 500 };

const apiError = (status: number) =>
  new APIResponseError({
    code:
      status === 404
        ? APIErrorCode.ObjectNotFound
        : status === 400
          ? APIErrorCode.ValidationError
          : APIErrorCode.InternalServerError,
    status,
    message: 'no',
    headers: {},
    rawBodyText: '{}',
    additional_data: undefined,
    request_id: undefined,
  });

/** A client whose markdown endpoint answers from `answers` by id, counting requests. */
function client(answers: Record<string, Answer>) {
  const asked: string[] = [];
  const fake = {
    pages: {
      retrieveMarkdown: async ({ page_id }: { page_id: string }) => {
        asked.push(page_id);
        const answer = answers[page_id];
        if (!answer) throw apiError(404);
        if ('status' in answer) throw apiError(answer.status);
        return {
          object: 'page_markdown',
          id: page_id,
          markdown: answer.markdown,
          truncated: answer.truncated ?? false,
          unknown_block_ids: answer.unknown ?? [],
        };
      },
    },
  } as unknown as Client;
  return { fake, asked };
}

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const PAGE = id(0);

describe('readPageBody', () => {
  it('completes a truncated body from the left-out blocks, in order, a part of a part included', async () => {
    const { fake, asked } = client({
      [PAGE]: { markdown: 'one', truncated: true, unknown: [id(1), id(2)] },
      [id(1)]: { markdown: 'two', truncated: true, unknown: [id(3)] },
      [id(3)]: { markdown: 'three' },
      [id(2)]: { markdown: 'four' },
    });
    const body = await readPageBody(fake, PAGE, 1 << 20);
    expect(body).toEqual({
      markdown: 'one\n\ntwo\n\nthree\n\nfour',
      truncated: false,
      truncatedReason: null,
      unknownBlocks: [],
      files: [],
    });
    expect(asked).toEqual([PAGE, id(1), id(3), id(2)]);
  });

  it('records unshared (404) and unsupported (400) blocks as such, not as truncation', async () => {
    const { fake } = client({
      [PAGE]: { markdown: 'body', unknown: [id(1), id(2)] },
      [id(2)]: { status: 400 },
    });
    const body = await readPageBody(fake, PAGE, 1 << 20);
    expect(body.truncated).toBe(false);
    expect(body.unknownBlocks).toEqual([
      { id: id(1), reason: 'unshared' },
      { id: id(2), reason: 'unsupported' },
    ]);
  });

  it('throws other failures (the job retries)', async () => {
    const { fake } = client({ [PAGE]: { markdown: 'x', truncated: true, unknown: [id(1)] }, [id(1)]: { status: 500 } });
    await expect(readPageBody(fake, PAGE, 1 << 20)).rejects.toBeInstanceOf(APIResponseError);
  });

  it('caps the body at maxBytes on a line break, flags size_cap and lists what it did not fetch', async () => {
    const { fake, asked } = client({
      [PAGE]: { markdown: 'line one\nline two\nline three', truncated: true, unknown: [id(1)] },
      [id(1)]: { markdown: 'more' },
    });
    const body = await readPageBody(fake, PAGE, 20);
    expect(body.markdown).toBe('line one\nline two');
    expect(body).toMatchObject({ truncated: true, truncatedReason: 'size_cap' });
    expect(body.unknownBlocks).toEqual([{ id: id(1), reason: 'truncated' }]);
    expect(asked).toEqual([PAGE]);
  });

  it(`asks for at most ${MAX_PARTS} parts`, async () => {
    const answers: Record<string, Answer> = { [PAGE]: { markdown: 'p', truncated: true, unknown: [id(1)] } };
    for (let i = 1; i <= MAX_PARTS + 5; i++)
      answers[id(i)] = { markdown: `p${i}`, truncated: true, unknown: [id(i + 1)] };
    const { fake, asked } = client(answers);
    const body = await readPageBody(fake, PAGE, 1 << 20);
    expect(asked).toHaveLength(MAX_PARTS + 1);
    expect(body).toMatchObject({ truncated: true, truncatedReason: 'too_many_parts' });
    expect(body.unknownBlocks).toEqual([{ id: id(MAX_PARTS + 1), reason: 'truncated' }]);
  });

  it("keeps files' identities in the Markdown and lists their signed URLs", async () => {
    const url =
      'https://prod-files-secure.s3.us-west-2.amazonaws.com/ws/f1/cat.png?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
      '&X-Amz-Date=20260101T000000Z&X-Amz-Expires=3600&X-Amz-Signature=abc';
    const { fake } = client({ [PAGE]: { markdown: `![cat](${url})` } });
    const body = await readPageBody(fake, PAGE, 1 << 20);
    const identity = 'https://prod-files-secure.s3.us-west-2.amazonaws.com/ws/f1/cat.png';
    expect(body.markdown).toBe(`![cat](${identity})`);
    expect(body.files).toEqual([{ identity, url, expiresAt: new Date('2026-01-01T01:00:00Z') }]);
  });
});

describe('cutAt', () => {
  it('never splits a character, and ends at a line break when there is one', () => {
    expect(cutAt('héllo', 2)).toBe('h');
    expect(cutAt('ab\ncd\nef', 7)).toBe('ab\ncd');
    expect(cutAt('abcdef', 4)).toBe('abcd');
    expect(cutAt('short', 100)).toBe('short');
  });
});

import { createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, it, jest } from '@jest/globals';
import { loadConfig } from '@app/config';
import { FILE_REF_MAX_LENGTH, FileLinkCodec, type FileLinkTarget } from './file-link.codec.js';

const key = (byte: number) => Buffer.alloc(32, byte).toString('base64');
const codec = (keys: string) => new FileLinkCodec(loadConfig({ ENCRYPTION_KEYS: keys }));

const TARGET: FileLinkTarget = {
  projectId: '6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e',
  pageId: '1077a3f2-9c4e-4b1d-a6e0-5f2b8c9d0e13',
  fileKey: 'ungWv48Bz-pBQUDeXa4iI7',
};
const OTHER: FileLinkTarget = {
  projectId: '0d9e8f7a-6b5c-4d3e-9f1a-2b3c4d5e6f70',
  pageId: '9813c0de-1f2a-4b3c-8d4e-5f6a7b8c9d0e',
  fileKey: 'Zx_9-aBcDeFgHiJkLmNoPq',
};
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The ref's four dot-separated parts. */
const partsOf = (ref: string) => ref.split('.') as [string, string, string, string];
/** `text` with the character at `at` replaced by another base64url character. */
const flipAt = (text: string, at: number) =>
  text.slice(0, at) + B64URL[(B64URL.indexOf(text[at]!) + 1) % 64] + text.slice(at + 1);

describe('FileLinkCodec', () => {
  const k1 = codec(`k1:${key(1)}`);

  it('opens what it signs', () => {
    const ref = k1.sign(TARGET);
    expect(ref).toMatch(/^f1\.k1\.[A-Za-z0-9_-]{72}\.[A-Za-z0-9_-]{24}$/);
    expect(k1.open(ref)).toEqual({ ok: true, ...TARGET });
    expect(k1.open(k1.sign(OTHER))).toEqual({ ok: true, ...OTHER });
  });

  it('reads ids in any of the forms Notion prints, and opens them dashed and lower case', () => {
    const ref = k1.sign({ ...TARGET, pageId: TARGET.pageId.replace(/-/g, '').toUpperCase() });
    expect(ref).toBe(k1.sign(TARGET));
    expect(k1.open(ref)).toEqual({ ok: true, ...TARGET });
  });

  it('is deterministic: the same file gives the same ref, across instances; another file another ref', () => {
    expect(k1.sign(TARGET)).toBe(k1.sign({ ...TARGET }));
    expect(codec(`k1:${key(1)}`).sign(TARGET)).toBe(k1.sign(TARGET));
    expect(k1.sign({ ...TARGET, fileKey: OTHER.fileKey })).not.toBe(k1.sign(TARGET));
    expect(k1.sign({ ...TARGET, pageId: OTHER.pageId })).not.toBe(k1.sign(TARGET));
    expect(k1.sign({ ...TARGET, projectId: OTHER.projectId })).not.toBe(k1.sign(TARGET));
  });

  it('is short: 133 characters with the longest key id', () => {
    const longest = codec(`${'k'.repeat(32)}:${key(1)}`).sign(TARGET);
    expect(longest.length).toBe(133);
    expect(longest.length).toBeLessThan(FILE_REF_MAX_LENGTH);
  });

  it('signs under a key derived with HKDF from the first ENCRYPTION_KEYS key (a wire format: links already handed out depend on it)', () => {
    const linkKey = Buffer.from(hkdfSync('sha256', Buffer.alloc(32, 1), Buffer.alloc(0), 'notion-sync file link', 32));
    const payload = Buffer.concat([
      Buffer.from(TARGET.projectId.replace(/-/g, ''), 'hex'),
      Buffer.from(TARGET.pageId.replace(/-/g, ''), 'hex'),
      Buffer.from(TARGET.fileKey, 'latin1'),
    ]).toString('base64url');
    const mac = createHmac('sha256', linkKey).update(`f1.k1.${payload}`).digest().subarray(0, 18).toString('base64url');
    expect(k1.sign(TARGET)).toBe(`f1.k1.${payload}.${mac}`);
  });

  it('refuses to sign ids that are not UUIDs or a malformed file key', () => {
    expect(() => k1.sign({ ...TARGET, projectId: 'project-1' })).toThrow(/not a UUID/);
    expect(() => k1.sign({ ...TARGET, pageId: '' })).toThrow(/not a UUID/);
    expect(() => k1.sign({ ...TARGET, fileKey: 'short' })).toThrow(/fileKey/);
    expect(() => k1.sign({ ...TARGET, fileKey: 'ungWv48Bz+pBQUDeXa4iI7' })).toThrow(/fileKey/);
  });

  describe('tampering', () => {
    const ref = k1.sign(TARGET);
    const [version, keyId, payload, mac] = partsOf(ref);

    it('refuses a ref with any character of its payload or MAC changed', () => {
      for (let at = 0; at < payload.length; at++) {
        expect(k1.open([version, keyId, flipAt(payload, at), mac].join('.'))).toEqual({
          ok: false,
          reason: 'tampered',
        });
      }
      for (let at = 0; at < mac.length; at++) {
        expect(k1.open([version, keyId, payload, flipAt(mac, at)].join('.'))).toEqual({
          ok: false,
          reason: 'tampered',
        });
      }
    });

    it('refuses another version', () => {
      for (const other of ['f2', 'f0', 'F1', 'g1', '']) {
        expect(k1.open([other, keyId, payload, mac].join('.'))).toEqual({ ok: false, reason: 'tampered' });
      }
    });

    it('answers revoked for a key id no longer in the ring (a rotated-out key and a made-up id look alike)', () => {
      expect(k1.open([version, 'k2', payload, mac].join('.'))).toEqual({ ok: false, reason: 'revoked' });
      expect(k1.open([version, 'k1x', payload, mac].join('.'))).toEqual({ ok: false, reason: 'revoked' });
    });

    it('answers tampered for an older key of the ring whose MAC is wrong', () => {
      const ring = codec(`k2:${key(2)},k1:${key(1)}`);
      expect(ring.open([version, 'k1', payload, mac].join('.'))).toEqual({ ok: false, reason: 'revoked' });
      const [, , otherPayload] = partsOf(k1.sign(OTHER));
      expect(ring.open([version, 'k1', otherPayload, mac].join('.'))).toEqual({ ok: false, reason: 'tampered' });
    });

    it('refuses payloads and MACs swapped between refs', () => {
      const [, , otherPayload, otherMac] = partsOf(k1.sign(OTHER));
      expect(k1.open([version, keyId, otherPayload, mac].join('.'))).toEqual({ ok: false, reason: 'tampered' });
      expect(k1.open([version, keyId, payload, otherMac].join('.'))).toEqual({ ok: false, reason: 'tampered' });
    });

    it('refuses a ref signed under another key with the same id', () => {
      expect(codec(`k1:${key(2)}`).open(ref)).toEqual({ ok: false, reason: 'tampered' });
      expect(k1.open(codec(`k1:${key(2)}`).sign(TARGET))).toEqual({ ok: false, reason: 'tampered' });
    });

    it('refuses every truncation and extension', () => {
      for (let length = 0; length < ref.length; length++) {
        expect(k1.open(ref.slice(0, length))).toEqual({ ok: false, reason: 'tampered' });
      }
      for (const longer of [`${ref}A`, `${ref}.`, `${ref}.x`, `x${ref}`, ` ${ref}`, `${ref}\n`]) {
        expect(k1.open(longer)).toEqual({ ok: false, reason: 'tampered' });
      }
    });

    it('refuses padding and characters outside base64url (which a lenient decoder would read)', () => {
      const variants = [
        `${ref}=`,
        `${ref}==`,
        [version, keyId, `${payload}=`, mac].join('.'),
        [version, keyId, payload.replace(/[-_]/, (c) => (c === '-' ? '+' : '/')), mac].join('.'),
        [version, keyId, payload, `${mac.slice(0, -2)}==`].join('.'),
        [version, keyId, `${payload.slice(0, -1)}*`, mac].join('.'),
        [version, keyId, payload, `${mac.slice(0, -1)}%`].join('.'),
        [version, keyId, payload, `${mac.slice(0, -1)}é`].join('.'),
        [version, 'k 1', payload, mac].join('.'),
      ];
      for (const variant of variants) expect(k1.open(variant)).toEqual({ ok: false, reason: 'tampered' });
      // The replacement above must have found a '-' or '_' to turn into '+' or '/'.
      expect(variants[3]).not.toBe([version, keyId, payload, mac].join('.'));
    });

    it('refuses over-long input before reading it', () => {
      const exec = jest.spyOn(RegExp.prototype, 'exec');
      try {
        expect(k1.open(`${ref}${'A'.repeat(FILE_REF_MAX_LENGTH)}`)).toEqual({ ok: false, reason: 'tampered' });
        expect(k1.open('f1.'.padEnd(50_000_000, 'A'))).toEqual({ ok: false, reason: 'tampered' });
        expect(exec).not.toHaveBeenCalled();
        expect(k1.open(ref)).toEqual({ ok: true, ...TARGET });
        expect(exec).toHaveBeenCalled();
      } finally {
        exec.mockRestore();
      }
    });

    it('refuses what is not a string at all', () => {
      expect(k1.open(undefined as unknown as string)).toEqual({ ok: false, reason: 'tampered' });
      expect(k1.open(42 as unknown as string)).toEqual({ ok: false, reason: 'tampered' });
    });
  });

  describe('rotation', () => {
    it('opens refs of a key rotated out as revoked, and signs and opens under the new first key', () => {
      const before = k1.sign(TARGET);
      const rotated = codec(`k2:${key(2)},k1:${key(1)}`);
      expect(rotated.open(before)).toEqual({ ok: false, reason: 'revoked' });
      const after = rotated.sign(TARGET);
      expect(partsOf(after)[1]).toBe('k2');
      expect(rotated.open(after)).toEqual({ ok: true, ...TARGET });
      expect(k1.open(after)).toEqual({ ok: false, reason: 'revoked' });
      expect(codec(`k2:${key(2)}`).open(before)).toEqual({ ok: false, reason: 'revoked' });
    });
  });
});

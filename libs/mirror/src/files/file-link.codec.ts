import { createHmac, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig, derivedKey } from '@app/config';
import { normalizeNotionId } from '@app/notion';

/** What a file link points at: a file (by `fileKey` of its identity) of one page of one project. */
export interface FileLinkTarget {
  readonly projectId: string;
  readonly pageId: string;
  /** `fileKey(identity)` from `@app/notion`: 22 base64url characters. */
  readonly fileKey: string;
}

/** Why a ref does not open: `revoked` (signed under a key that is no longer the first: 404), `tampered` (403). */
export type FileLinkRefusal = 'tampered' | 'revoked';

export type OpenedFileLink =
  ({ readonly ok: true } & FileLinkTarget) | { readonly ok: false; readonly reason: FileLinkRefusal };

/** Longer refs are refused before any work (a real one is at most 133 characters). */
export const FILE_REF_MAX_LENGTH = 200;

const VERSION = 'f1';
const MAC_BYTES = 18;
const UUID_BYTES = 16;
const FILE_KEY = /^[A-Za-z0-9_-]{22}$/;
/**
 * `f1.<keyId>.<payload>.<mac>`: payload is 54 bytes (two UUIDs, then the file
 * key's 22 ASCII characters) in 72 base64url characters, the MAC 18 bytes in 24;
 * both lengths are multiples of 3 bytes, so each has exactly one spelling.
 * Key ids are 1 to 32 of `A-Za-z0-9_-` (libs/config), never a dot.
 */
const REF = /^f1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{72})\.([A-Za-z0-9_-]{24})$/;

const TAMPERED: OpenedFileLink = { ok: false, reason: 'tampered' };
const REVOKED: OpenedFileLink = { ok: false, reason: 'revoked' };

/**
 * Signed, stable references to Notion-hosted files, for `GET /api/v1/files/{ref}`.
 * A ref binds project, page and file; it does not expire (clients store it and
 * its ETags), so the same input always gives the same ref. It is signed under
 * a key derived from the first `ENCRYPTION_KEYS` key and names that key's id:
 * after a rotation, refs of an older key still in the ring open as `revoked`
 * when their MAC is right under it (else `tampered`); refs naming a key id no
 * longer in the ring open as `revoked` (an old link and a forgery cannot be
 * told apart then). Whether the file is still in the live mirror is the
 * caller's check.
 */
@Injectable()
export class FileLinkCodec {
  /** The id (in `ENCRYPTION_KEYS`) of the key that signs links now. */
  readonly keyId: string;
  private readonly key: Buffer;
  /** Every key of the ring by id, to tell an old link (revoked) from a forgery (tampered). */
  private readonly ring: ReadonlyMap<string, Buffer>;

  constructor(config: AppConfig) {
    const derive = (key: Buffer) => derivedKey(key, 'notion-sync file link');
    const first = config.encryption.keys[0]!;
    this.keyId = first.id;
    this.key = derive(first.key);
    this.ring = new Map(config.encryption.keys.map((k) => [k.id, derive(k.key)]));
  }

  /** The ref of a file. Throws on ids that are not UUIDs or a malformed file key (a caller's bug). */
  sign(target: FileLinkTarget): string {
    if (!FILE_KEY.test(target.fileKey)) throw new Error('fileKey must be 22 base64url characters');
    const payload = Buffer.concat([
      uuidBytes(target.projectId),
      uuidBytes(target.pageId),
      Buffer.from(target.fileKey, 'latin1'),
    ]).toString('base64url');
    const signed = `${VERSION}.${this.keyId}.${payload}`;
    return `${signed}.${this.mac(signed, this.key).toString('base64url')}`;
  }

  /** The target of a ref, or why it is refused. No I/O, and nothing allocated for a ref of the wrong shape. */
  open(ref: string): OpenedFileLink {
    if (typeof ref !== 'string' || ref.length > FILE_REF_MAX_LENGTH) return TAMPERED;
    const parts = REF.exec(ref);
    if (!parts) return TAMPERED;
    const [, keyId, payloadText, macText] = parts as unknown as [string, string, string, string];
    const key = this.ring.get(keyId);
    if (!key) return REVOKED;
    const expected = this.mac(ref.slice(0, ref.length - macText.length - 1), key);
    if (!timingSafeEqual(Buffer.from(macText, 'base64url'), expected)) return TAMPERED;
    if (keyId !== this.keyId) return REVOKED;
    const payload = Buffer.from(payloadText, 'base64url');
    const fileKey = payload.toString('latin1', 2 * UUID_BYTES);
    // Only a ref we signed gets here, and sign() checks its input: defence in depth.
    if (!FILE_KEY.test(fileKey)) return TAMPERED;
    return {
      ok: true,
      projectId: uuidText(payload.subarray(0, UUID_BYTES)),
      pageId: uuidText(payload.subarray(UUID_BYTES, 2 * UUID_BYTES)),
      fileKey,
    };
  }

  private mac(signed: string, key: Buffer): Buffer {
    return createHmac('sha256', key).update(signed).digest().subarray(0, MAC_BYTES);
  }
}

function uuidBytes(id: string): Buffer {
  const normalized = normalizeNotionId(id);
  if (normalized === undefined) throw new Error(`not a UUID: ${JSON.stringify(id)}`);
  return Buffer.from(normalized.replace(/-/g, ''), 'hex');
}

/** 16 bytes as a dashed lowercase UUID (32 hex digits always normalize). */
const uuidText = (bytes: Buffer): string => normalizeNotionId(bytes.toString('hex'))!;

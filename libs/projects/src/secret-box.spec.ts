import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '@app/config';
import { SecretBox, SecretUnreadableError, type SecretOwner } from './secret-box.js';

const key = (byte: number) => Buffer.alloc(32, byte).toString('base64');
const box = (keys: string) => new SecretBox(loadConfig({ ENCRYPTION_KEYS: keys }));
const OWNER: SecretOwner = { projectId: 'project-1', purpose: 'notion-token' };
const OTHER: SecretOwner = { projectId: 'project-2', purpose: 'notion-token' };

describe('SecretBox', () => {
  it('round-trips a secret and never stores the plaintext', () => {
    const sealed = box(`k1:${key(1)}`).seal('secret_abc', OWNER);
    expect(sealed.keyId).toBe('k1');
    expect(sealed.ciphertext.includes(Buffer.from('secret_abc'))).toBe(false);
    expect(box(`k1:${key(1)}`).open(sealed, OWNER)).toBe('secret_abc');
  });

  it('uses a fresh nonce each time', () => {
    const b = box(`k1:${key(1)}`);
    expect(b.seal('same', OWNER).ciphertext.equals(b.seal('same', OWNER).ciphertext)).toBe(false);
  });

  it('does not open a ciphertext bound to another project, or to another secret of the same project', () => {
    const b = box(`k1:${key(1)}`);
    expect(() => b.open(b.seal('secret', OWNER), OTHER)).toThrow(SecretUnreadableError);
    expect(() => b.open(b.seal('secret', OWNER), { ...OWNER, purpose: 'webhook-token' })).toThrow(
      SecretUnreadableError,
    );
  });

  it('detects tampering', () => {
    const b = box(`k1:${key(1)}`);
    const sealed = b.seal('secret', OWNER);
    sealed.ciphertext[sealed.ciphertext.length - 1]! ^= 1;
    expect(() => b.open(sealed, OWNER)).toThrow(SecretUnreadableError);
  });

  it('opens secrets sealed under an older key after a rotation, and seals under the new one', () => {
    const sealedBefore = box(`k1:${key(1)}`).seal('secret', OWNER);
    const rotated = box(`k2:${key(2)},k1:${key(1)}`);
    expect(rotated.open(sealedBefore, OWNER)).toBe('secret');
    expect(rotated.seal('secret', OWNER).keyId).toBe('k2');
  });

  it('says which key is missing, without the secret', () => {
    const sealed = box(`old:${key(1)}`).seal('secret', OWNER);
    expect(() => box(`new:${key(2)}`).open(sealed, OWNER)).toThrow(/key "old" is not in ENCRYPTION_KEYS/);
  });
});

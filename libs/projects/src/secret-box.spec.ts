import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '@app/config';
import { SecretBox, SecretUnreadableError } from './secret-box.js';

const key = (byte: number) => Buffer.alloc(32, byte).toString('base64');
const box = (keys: string) => new SecretBox(loadConfig({ ENCRYPTION_KEYS: keys }));

describe('SecretBox', () => {
  it('round-trips a secret and never stores the plaintext', () => {
    const sealed = box(`k1:${key(1)}`).seal('secret_abc', 'project-1');
    expect(sealed.keyId).toBe('k1');
    expect(sealed.ciphertext.includes(Buffer.from('secret_abc'))).toBe(false);
    expect(box(`k1:${key(1)}`).open(sealed, 'project-1')).toBe('secret_abc');
  });

  it('uses a fresh nonce each time', () => {
    const b = box(`k1:${key(1)}`);
    expect(b.seal('same', 'p').ciphertext.equals(b.seal('same', 'p').ciphertext)).toBe(false);
  });

  it('does not open a ciphertext bound to another project', () => {
    const b = box(`k1:${key(1)}`);
    expect(() => b.open(b.seal('secret', 'project-1'), 'project-2')).toThrow(SecretUnreadableError);
  });

  it('detects tampering', () => {
    const b = box(`k1:${key(1)}`);
    const sealed = b.seal('secret', 'p');
    sealed.ciphertext[sealed.ciphertext.length - 1]! ^= 1;
    expect(() => b.open(sealed, 'p')).toThrow(SecretUnreadableError);
  });

  it('opens secrets sealed under an older key after a rotation, and seals under the new one', () => {
    const sealedBefore = box(`k1:${key(1)}`).seal('secret', 'p');
    const rotated = box(`k2:${key(2)},k1:${key(1)}`);
    expect(rotated.open(sealedBefore, 'p')).toBe('secret');
    expect(rotated.seal('secret', 'p').keyId).toBe('k2');
  });

  it('says which key is missing, without the secret', () => {
    const sealed = box(`old:${key(1)}`).seal('secret', 'p');
    expect(() => box(`new:${key(2)}`).open(sealed, 'p')).toThrow(/key "old" is not in ENCRYPTION_KEYS/);
  });
});

import { describe, expect, it } from '@jest/globals';
import { signWebhookPayload, verifyWebhookSignature } from '@notionhq/client';
import { verifyNotionSignature } from './webhook-payload.js';

const TOKEN = 'secret_verification_token';
const body = Buffer.from(JSON.stringify({ id: 'e1', type: 'page.created', data: { ü: 'unicode ✓' } }));

describe('verifyNotionSignature', () => {
  it("accepts what the SDK's signWebhookPayload signs (the format Notion uses), in either hex case", async () => {
    const signature = await signWebhookPayload({ body, verificationToken: TOKEN });
    expect(verifyNotionSignature(body, signature, TOKEN)).toBe(true);
    expect(verifyNotionSignature(body, `sha256=${signature.slice(7).toUpperCase()}`, TOKEN)).toBe(true);
    // The same answer as the SDK's own check.
    await expect(verifyWebhookSignature({ body, signature, verificationToken: TOKEN })).resolves.toBe(true);
  });

  it('refuses a tampered body, another token, and a tampered signature', async () => {
    const signature = await signWebhookPayload({ body, verificationToken: TOKEN });
    const tampered = Buffer.from(body);
    tampered[5] ^= 1;
    expect(verifyNotionSignature(tampered, signature, TOKEN)).toBe(false);
    expect(verifyNotionSignature(body, signature, `${TOKEN}x`)).toBe(false);
    const last = signature.at(-1) === '0' ? '1' : '0';
    expect(verifyNotionSignature(body, signature.slice(0, -1) + last, TOKEN)).toBe(false);
  });

  it('refuses malformed signatures without throwing: wrong length, prefix or characters, or none', async () => {
    const signature = await signWebhookPayload({ body, verificationToken: TOKEN });
    const hex = signature.slice('sha256='.length);
    for (const bad of [
      undefined,
      '',
      hex,
      `sha1=${hex}`,
      `sha256=${hex.slice(0, -2)}`,
      `sha256=${hex}00`,
      `sha256=${hex.slice(0, -1)}`,
      `sha256=${hex.slice(0, -1)}g`,
      `sha256= ${hex.slice(1)}`,
      `${signature} `,
    ]) {
      expect(verifyNotionSignature(body, bad, TOKEN)).toBe(false);
    }
  });
});

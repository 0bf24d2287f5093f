import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * Notion-hosted files for the fake: bytes kept in memory, served under
 * `/_files/` by URLs signed like Notion's S3 ones, which really expire.
 *
 * A URL is `<base>/_files/<workspaceId>/<fileId>/<encoded name>?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=<YYYYMMDDTHHMMSSZ>&X-Amz-Expires=<seconds>&X-Amz-Signature=<64 hex>`,
 * valid from its date until date + expires on the fake's clock. The path is the
 * file's stable identity; every signing gives a new query, even twice in the
 * same second (the signature carries a sequence number), so a test can tell a
 * re-signed URL from the same one. Answers as S3 does: 403 `AccessDenied`
 * "Request has expired" once expired, 403 `SignatureDoesNotMatch` for a
 * signature the fake did not issue (a tampered date, expiry or path).
 */

/** A file hosted by the fake Notion (`FakeNotion.hostFile`): reference it from blocks, `files` values, icons and covers. */
export interface HostedFile {
  readonly id: string;
  readonly name: string;
}

/** A Notion-hosted file as the API shows it: `{url, expiry_time}` (`InternalFileResponse`). */
export interface SignedFile {
  readonly url: string;
  readonly expiry_time: string;
}

/** One request for a hosted file's bytes (`FakeNotion.fileRequests`). */
export interface FileRequest {
  /** Arrival time (ms since the epoch). */
  readonly at: number;
  readonly method: string;
  /** Without the query string. */
  readonly path: string;
  /** The query string, `?` included, or ''. */
  readonly search: string;
  readonly status: number;
}

export interface FileReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

interface StoredFile extends HostedFile {
  readonly bytes: Buffer;
  readonly contentType: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SEQUENCE_HEX = 16;
const SIGNATURE_HEX = 64;

const CONTENT_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  txt: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  json: 'application/json',
};

/** `20260101T120000Z`, as S3's `X-Amz-Date`. */
const amzDate = (date: Date) =>
  date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');

function parseAmzDate(raw: string): number | undefined {
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(raw);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : undefined;
}

const xml = (status: number, code: string, message: string, extra: Record<string, string> = {}): FileReply => {
  const fields = Object.entries({ Code: code, Message: message, ...extra, RequestId: randomUUID() })
    .map(([name, value]) => `<${name}>${value}</${name}>`)
    .join('');
  return {
    status,
    headers: { 'content-type': 'application/xml' },
    body: Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<Error>${fields}</Error>`),
  };
};

export class FileHost {
  private readonly files = new Map<string, StoredFile>();
  private readonly secret = randomBytes(32);
  private sequence = 0;

  constructor(
    private readonly workspaceId: string,
    /** Seconds a signed URL is valid (`X-Amz-Expires`). */
    public expirySeconds: number,
  ) {}

  host(name: string, bytes: Buffer | string, contentType?: string): HostedFile {
    if (!name) throw new Error('a hosted file needs a name');
    const id = randomUUID();
    const extension = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase() ?? '';
    this.files.set(id, {
      id,
      name,
      bytes: typeof bytes === 'string' ? Buffer.from(bytes) : bytes,
      contentType: contentType ?? CONTENT_TYPES[extension] ?? 'application/octet-stream',
    });
    return { id, name };
  }

  /** The fake's own record of a file a test hands back; throws for a file it never hosted. */
  resolve(file: HostedFile): HostedFile {
    const stored = this.files.get(file.id);
    if (!stored) throw new Error(`no hosted file ${file.id} (${file.name}): host it with hostFile first`);
    return { id: stored.id, name: stored.name };
  }

  /** A freshly signed URL for `file`, valid for `expirySeconds` from `now`. */
  sign(file: HostedFile, baseUrl: string, now: Date): SignedFile {
    const stored = this.files.get(file.id);
    if (!stored) throw new Error(`no hosted file ${file.id}`);
    const date = amzDate(now);
    const expires = String(this.expirySeconds);
    const sequence = (this.sequence++).toString(16).padStart(SEQUENCE_HEX, '0');
    const signature = sequence + this.mac(stored.id, stored.name, date, expires, sequence);
    const query = new URLSearchParams({
      'X-Amz-Algorithm': ALGORITHM,
      'X-Amz-Date': date,
      'X-Amz-Expires': expires,
      'X-Amz-Signature': signature,
    });
    return {
      url: `${baseUrl}${this.path(stored)}?${query.toString()}`,
      expiry_time: new Date(parseAmzDate(date)! + this.expirySeconds * 1000).toISOString(),
    };
  }

  /** `GET /_files/<workspaceId>/<fileId>/<name>?...`: the bytes while the signature is good and unexpired. */
  serve(method: string, pathname: string, query: URLSearchParams, now: Date): FileReply {
    const m = /^\/_files\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(pathname);
    const stored = m && m[1] === this.workspaceId ? this.files.get(m[2]!) : undefined;
    const date = query.get('X-Amz-Date') ?? '';
    const expires = query.get('X-Amz-Expires') ?? '';
    const signature = query.get('X-Amz-Signature') ?? '';
    const signedAt = parseAmzDate(date);
    const signed =
      stored !== undefined &&
      safeDecode(m![3]!) === stored.name &&
      query.get('X-Amz-Algorithm') === ALGORITHM &&
      signedAt !== undefined &&
      /^\d+$/.test(expires) &&
      this.verify(stored, date, expires, signature);
    if (!signed || signedAt === undefined)
      return xml(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided.',
      );
    const expiresAt = signedAt + Number(expires) * 1000;
    if (now.getTime() > expiresAt)
      return xml(403, 'AccessDenied', 'Request has expired', {
        'X-Amz-Expires': expires,
        Expires: new Date(expiresAt).toISOString(),
        ServerTime: now.toISOString(),
      });
    return {
      status: 200,
      headers: { 'content-type': stored.contentType, 'content-length': String(stored.bytes.length) },
      body: method === 'HEAD' ? Buffer.alloc(0) : stored.bytes,
    };
  }

  private path(file: StoredFile): string {
    return `/_files/${this.workspaceId}/${file.id}/${encodeURIComponent(file.name)}`;
  }

  private mac(fileId: string, name: string, date: string, expires: string, sequence: string): string {
    return createHmac('sha256', this.secret)
      .update([this.workspaceId, fileId, name, date, expires, sequence].join('\n'))
      .digest('hex')
      .slice(0, SIGNATURE_HEX - SEQUENCE_HEX);
  }

  private verify(file: StoredFile, date: string, expires: string, signature: string): boolean {
    if (!new RegExp(`^[0-9a-f]{${SIGNATURE_HEX}}$`).test(signature)) return false;
    const sequence = signature.slice(0, SEQUENCE_HEX);
    const expected = Buffer.from(this.mac(file.id, file.name, date, expires, sequence));
    return timingSafeEqual(expected, Buffer.from(signature.slice(SEQUENCE_HEX)));
  }
}

function safeDecode(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

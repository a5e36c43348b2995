/**
 * S3 on the Ceph object gateways (RGW) with @aws-sdk/client-s3 (docs/adr/0003-dependencies.md):
 * HTTPS only with the platform's CA, path-style addressing (the gateways are reached by address,
 * no wildcard DNS), and every PUT asking for server-side encryption with the domain's KMS key
 * (SSE-KMS, EXG_SEC_4.3: the gateway's own encryption on top of the application's envelope
 * encryption). Ceph 16 predates the SDK's default CRC32 checksums, so checksums are only sent
 * when an operation requires them.
 */
import { Agent, request } from 'node:https';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  type PutObjectCommandOutput,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';

export interface S3Endpoint {
  /** `https://<address>:<port>` of a gateway. */
  url: string;
  /** PEM of the CA the gateway's certificate chains to. */
  ca: string | Buffer;
  accessKeyId: string;
  secretAccessKey: string;
  /** The zonegroup's name: the SDK signs with it and sends it as a new bucket's LocationConstraint, which RGW checks against its zonegroup. */
  region: string;
  /** Per-request timeout. @default 15_000 */
  timeoutMs?: number;
  /**
   * Bound of the connection phase alone (TCP + TLS). @default timeoutMs. Short where a gateway
   * that cannot be reached must cost little (a site cut off drops SYNs: no refusal comes back).
   */
  connectTimeoutMs?: number;
}

export function s3ClientFor(e: S3Endpoint): S3Client {
  if (!e.url.startsWith('https://')) throw new Error(`S3 endpoint ${e.url} is not HTTPS (RGW refuses SSE over plain HTTP, rgw_crypt_require_ssl)`);
  // The pinned SDK (docs/adr/0003) runs on Node 20; its notice about later releases is not for this process's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const timeout = e.timeoutMs ?? 15_000;
  return new S3Client({
    endpoint: e.url,
    region: e.region,
    forcePathStyle: true,
    credentials: { accessKeyId: e.accessKeyId, secretAccessKey: e.secretAccessKey },
    // NodeHttpHandler's options (the SDK builds the handler): the CA, TLS 1.2+, bounded waits.
    requestHandler: {
      httpsAgent: new Agent({ ca: e.ca, keepAlive: true, minVersion: 'TLSv1.2' }),
      connectionTimeout: e.connectTimeoutMs ?? timeout,
      requestTimeout: timeout,
      // A request without an answer in time is an error (its outcome unknown), never a silent wait.
      throwOnRequestTimeout: true,
    },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
}

/** Whether an HTTPS server answers at `url` with a certificate the CA signed (any HTTP status). */
export function httpsAnswers(url: string, ca: string | Buffer, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', ca, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

export interface BucketSpec {
  name: string;
  /** Bucket policy (JSON), e.g. rgw.ts requireSseKmsPolicy. */
  policy?: string;
}

/** Creates each bucket unless it exists (owned by the client's user), then sets its policy. */
export async function ensureBuckets(client: S3Client, buckets: readonly BucketSpec[]): Promise<void> {
  for (const b of buckets) {
    let present = true;
    try {
      await client.send(new HeadBucketCommand({ Bucket: b.name }));
    } catch (err) {
      if (!(err instanceof S3ServiceException) || err.$metadata.httpStatusCode !== 404) throw s3Error(err, `HEAD bucket ${b.name}`);
      present = false;
    }
    if (!present) {
      try {
        await client.send(new CreateBucketCommand({ Bucket: b.name }));
      } catch (err) {
        throw s3Error(err, `create bucket ${b.name}`);
      }
    }
    if (b.policy !== undefined) {
      try {
        await client.send(new PutBucketPolicyCommand({ Bucket: b.name, Policy: b.policy }));
      } catch (err) {
        throw s3Error(err, `set the policy of bucket ${b.name}`);
      }
    }
  }
}

/** A one-line error naming the S3 operation and the gateway's code (never a key or a body). */
export function s3Error(err: unknown, what: string): Error {
  if (err instanceof S3ServiceException) return new Error(`S3 ${what}: ${err.name} (HTTP ${err.$metadata.httpStatusCode ?? '?'})`);
  return new Error(`S3 ${what}: ${(err as Error).message ?? String(err)}`);
}

export interface PutEncrypted {
  bucket: string;
  key: string;
  body: Uint8Array;
  /** SSE-KMS key id (the business domain's, RgwBucket.kmsKeyId). */
  kmsKeyId: string;
  contentType?: string;
}

/** PUT with SSE-KMS; resolves the ETag. Throws if the gateway did not confirm the encryption. */
export async function putObjectEncrypted(client: S3Client, o: PutEncrypted): Promise<string> {
  let r: PutObjectCommandOutput;
  try {
    r = await client.send(
      new PutObjectCommand({
        Bucket: o.bucket,
        Key: o.key,
        Body: o.body,
        ContentLength: o.body.byteLength,
        ContentType: o.contentType ?? 'application/octet-stream',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: o.kmsKeyId,
      }),
    );
  } catch (err) {
    throw s3Error(err, `PUT ${o.bucket}/${o.key}`);
  }
  if (r.ServerSideEncryption !== 'aws:kms')
    throw new Error(`S3 PUT ${o.bucket}/${o.key}: the gateway did not confirm SSE-KMS (got ${r.ServerSideEncryption ?? 'none'})`);
  return r.ETag ?? '';
}

/** GET an object's bytes and the encryption the gateway reports. */
export async function getObjectBytes(client: S3Client, bucket: string, key: string): Promise<{ body: Buffer; sse: string | undefined }> {
  try {
    const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = await r.Body?.transformToByteArray();
    return { body: Buffer.from(bytes ?? []), sse: r.ServerSideEncryption };
  } catch (err) {
    throw s3Error(err, `GET ${bucket}/${key}`);
  }
}

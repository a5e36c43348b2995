/**
 * Wires the reference service: secrets from 0600 files, the HSM key store (its key missing is
 * fatal: a configuration error), the database pool, the object store's client when configured
 * (issue 13), then the HTTP server. Neither the database nor the object store is waited for: the
 * service listens at once, answers 503 while they do not answer, and creates the schema when the
 * database does (in the background with back-off, and on demand).
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HsmKeyStore, WRAP_MECHANISM_NAME } from '../runtime/hsm/keystore.ts';
import { type ObjectStoreConfig, type RefServiceConfig, readSecretFile } from './config.ts';
import { createDb, type Db, schemaGate } from './db.ts';
import { createLogger, type Logger } from './log.ts';
import { createObjectStore, type ObjectStore } from './objectStore.ts';
import { createRefServiceHandler, handleClientError } from './server.ts';

/**
 * node:http timeouts of the service (the defaults cut a large upload or race the proxy):
 * - keepAliveTimeout: an idle kept-alive connection is closed by the service after 75 s, i.e.
 *   later than the WAF's nginx drops its idle upstream connections (upstream `keepalive_timeout`,
 *   60 s by default). With node's default of 5 s the service closed connections nginx still had
 *   in its pool; nginx, busy inspecting the next large body (seconds, in one worker), then sent
 *   that body on a closed connection: `sendfile() failed (32: Broken pipe) while sending request
 *   to upstream`, a 502 for a POST (never retried). The rule: the side that opens connections
 *   (the proxy) must be the one that closes idle ones.
 * - requestTimeout: a whole request, 27 MB body included, within 5 minutes (≈ 90 KB/s for a
 *   direct client; behind the WAF the body arrives from nginx's buffer at LAN speed).
 * - headersTimeout: the headers within 20 s.
 * - timeout: a connection silent for 2 minutes in the middle of a request is closed.
 */
export const HTTP_TIMEOUTS = {
  keepAliveTimeoutMs: 75_000,
  requestTimeoutMs: 300_000,
  headersTimeoutMs: 20_000,
  socketTimeoutMs: 120_000,
} as const;

/** Applies HTTP_TIMEOUTS and the JSON answer to unparsable requests to a server. */
export function configureHttpServer(server: http.Server): void {
  server.keepAliveTimeout = HTTP_TIMEOUTS.keepAliveTimeoutMs;
  server.requestTimeout = HTTP_TIMEOUTS.requestTimeoutMs;
  server.headersTimeout = HTTP_TIMEOUTS.headersTimeoutMs;
  server.timeout = HTTP_TIMEOUTS.socketTimeoutMs;
  server.on('clientError', handleClientError);
}

export interface RunningRefService {
  port: number;
  log: Logger;
  close(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  /** Cap of the back-off between background schema attempts while the database is down (default 30 s, first 1 s). */
  schemaRetryMaxDelayMs?: number;
}

/** The object store's client from its configuration: the CA and the keys read from their files (the keys 0600). */
export async function openObjectStore(c: ObjectStoreConfig, log: Logger): Promise<ObjectStore> {
  const [ca, accessKeyId, secretAccessKey] = await Promise.all([readFile(c.caFile), readSecretFile(c.accessKeyFile), readSecretFile(c.secretKeyFile)]);
  return createObjectStore(
    {
      endpoints: c.endpoints,
      bucket: c.bucket,
      ca,
      accessKeyId,
      secretAccessKey,
      kmsKeyId: c.kmsKeyId,
      ...(c.region !== undefined ? { region: c.region } : {}),
      ...(c.requestTimeoutMs !== undefined ? { requestTimeoutMs: c.requestTimeoutMs } : {}),
      ...(c.retryBudgetMs !== undefined ? { retryBudgetMs: c.retryBudgetMs } : {}),
    },
    log,
  );
}

export async function startRefService(cfg: RefServiceConfig, opts: StartOptions = {}): Promise<RunningRefService> {
  const log = opts.log ?? createLogger(cfg.serviceName);
  const pin = await readSecretFile(cfg.hsm.pinFile);
  const password = cfg.database.passwordFile !== undefined ? await readSecretFile(cfg.database.passwordFile) : undefined;
  const objectStore = cfg.objectStore !== undefined ? await openObjectStore(cfg.objectStore, log) : undefined;

  const hsm = HsmKeyStore.open({
    ...(cfg.hsm.modulePath !== undefined ? { modulePath: cfg.hsm.modulePath } : {}),
    ...(cfg.hsm.softhsmConfPath !== undefined ? { softhsmConfPath: cfg.hsm.softhsmConfPath } : {}),
    tokenLabel: cfg.hsm.tokenLabel,
    userPin: pin,
  });
  let db: Db | undefined;
  try {
    if (cfg.hsm.createMissingKey) hsm.ensureDomainKeys([cfg.hsm.domain]);
    if (!hsm.keyInventory().some((k) => k.label === cfg.hsm.domain)) throw new Error(`HSM token ${cfg.hsm.tokenLabel} has no key for domain ${cfg.hsm.domain}`);

    db = createDb({ ...cfg.database, ...(password !== undefined ? { password } : {}) }, log);
    const schema = schemaGate(db);

    const server = http.createServer(
      createRefServiceHandler({
        db,
        schema,
        hsm,
        domain: cfg.hsm.domain,
        keyMechanism: WRAP_MECHANISM_NAME,
        log,
        ...(cfg.maxBodyBytes !== undefined ? { maxBodyBytes: cfg.maxBodyBytes } : {}),
        ...(objectStore ? { objectStore } : {}),
      }),
    );
    configureHttpServer(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(cfg.listen.port, cfg.listen.host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    server.on('error', (err) => log.error('http server error', { error: err.message }));
    log.info('listening', {
      host: cfg.listen.host,
      port,
      key_domain: cfg.hsm.domain,
      contents: cfg.objectStore ? { object_store: cfg.objectStore.endpoints, bucket: cfg.objectStore.bucket } : 'database',
    });

    // Schema in the background: 1 s, 2 s, 4 s … capped, until the database answers.
    let closing = false;
    let retryTimer: NodeJS.Timeout | undefined;
    const maxDelay = opts.schemaRetryMaxDelayMs ?? 30_000;
    const trySchema = (attempt: number): void => {
      schema.ensure().then(
        () => log.info('database ready', { attempt }),
        (err: unknown) => {
          if (closing) return;
          const delay = Math.min(maxDelay, 1000 * 2 ** (attempt - 1));
          log.warn('database not ready', { attempt, retry_in_ms: delay, error: (err as Error).message });
          retryTimer = setTimeout(() => trySchema(attempt + 1), delay);
        },
      );
    };
    trySchema(1);

    const openDb = db;
    return {
      port,
      log,
      async close() {
        closing = true;
        clearTimeout(retryTimer);
        await new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        });
        await openDb.close();
        hsm.close();
        objectStore?.close();
      },
    };
  } catch (err) {
    await db?.close().catch(() => undefined);
    hsm.close();
    objectStore?.close();
    throw err;
  }
}

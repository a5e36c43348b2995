/**
 * Wires the reference service: secrets from 0600 files, the HSM key store (its key missing is
 * fatal: a configuration error), the database pool, then the HTTP server. The database is not
 * waited for: the service listens at once, answers 503 while the database does not answer, and
 * creates the schema when it does (in the background with back-off, and on demand).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HsmKeyStore, WRAP_MECHANISM_NAME } from '../runtime/hsm/keystore.ts';
import { type RefServiceConfig, readSecretFile } from './config.ts';
import { createDb, type Db, schemaGate } from './db.ts';
import { createLogger, type Logger } from './log.ts';
import { createRefServiceHandler } from './server.ts';

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

export async function startRefService(cfg: RefServiceConfig, opts: StartOptions = {}): Promise<RunningRefService> {
  const log = opts.log ?? createLogger(cfg.serviceName);
  const pin = await readSecretFile(cfg.hsm.pinFile);
  const password = cfg.database.passwordFile !== undefined ? await readSecretFile(cfg.database.passwordFile) : undefined;

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
      }),
    );
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(cfg.listen.port, cfg.listen.host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    server.on('error', (err) => log.error('http server error', { error: err.message }));
    log.info('listening', { host: cfg.listen.host, port, key_domain: cfg.hsm.domain });

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
      },
    };
  } catch (err) {
    await db?.close().catch(() => undefined);
    hsm.close();
    throw err;
  }
}

/**
 * Wires the reference service: secrets from 0600 files, the HSM key store, the database
 * (schema created if missing, waiting a bounded time for the database), then the HTTP server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HsmKeyStore, WRAP_MECHANISM_NAME } from '../runtime/hsm/keystore.ts';
import { type RefServiceConfig, readSecretFile } from './config.ts';
import { createDb, type Db, ensureSchema } from './db.ts';
import { createLogger, type Logger } from './log.ts';
import { createRefServiceHandler } from './server.ts';

export interface RunningRefService {
  port: number;
  log: Logger;
  close(): Promise<void>;
}

/** Waits for the database at start-up (bounded), then creates the schema. */
async function waitForSchema(db: Db, log: Logger, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureSchema(db);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      log.warn('database not ready at start-up', { attempt, error: (err as Error).message });
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

export async function startRefService(cfg: RefServiceConfig, opts: { startupTimeoutMs?: number; log?: Logger } = {}): Promise<RunningRefService> {
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
    await waitForSchema(db, log, opts.startupTimeoutMs ?? 60_000);

    const server = http.createServer(
      createRefServiceHandler({
        db,
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
    log.info('listening', { host: cfg.listen.host, port, key_domain: cfg.hsm.domain });
    const openDb = db;
    return {
      port,
      log,
      async close() {
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

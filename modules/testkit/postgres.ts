/**
 * A throw-away PostgreSQL 15 cluster for integration tests: initdb as user `postgres` in a
 * temp dir, `postgres` in the foreground on 127.0.0.1:<port>, SCRAM password for TCP clients.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { connectionStringWithPassword } from '../refservice/db.ts';
import { waitFor } from './net.ts';
import { type RunningProcess, startProcess } from './proc.ts';

const run = promisify(execFile);

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface TempPostgres {
  port: number;
  superuser: 'postgres';
  superPassword: string;
  /** postgresql://postgres@127.0.0.1:<port>/postgres (password separate). */
  adminUrl: string;
  process: RunningProcess;
  stop(): Promise<void>;
  /** Fast shutdown, optional downtime, start again on the same data dir and port. */
  restart(downMs?: number): Promise<void>;
}

async function pgIds(): Promise<{ uid: number; gid: number }> {
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  return { uid, gid };
}

/** Starts a fresh cluster in `<baseDir>/pg` (baseDir must be traversable by `postgres`). */
export async function startTempPostgres(baseDir: string, port: number): Promise<TempPostgres> {
  const { uid, gid } = await pgIds();
  const root = path.join(baseDir, 'pg');
  const data = path.join(root, 'data');
  const sock = path.join(root, 'sock');
  await mkdir(sock, { recursive: true, mode: 0o700 });
  await chown(root, uid, gid);
  await chown(sock, uid, gid);
  const superPassword = randomBytes(18).toString('base64url');
  const pwfile = path.join(root, 'pwfile');
  await writeFile(pwfile, `${superPassword}\n`, { mode: 0o600 });
  await chown(pwfile, uid, gid);
  await run(
    'runuser',
    [
      '-u',
      'postgres',
      '--',
      `${PG_BIN}/initdb`,
      '-D',
      data,
      '-U',
      'postgres',
      '--auth-local=peer',
      '--auth-host=scram-sha-256',
      `--pwfile=${pwfile}`,
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
    ],
    { timeout: 120_000 },
  );
  await rm(pwfile);
  const adminUrl = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  const t: TempPostgres = {
    port,
    superuser: 'postgres',
    superPassword,
    adminUrl,
    process: await launch(data, sock, port, adminUrl, superPassword),
    stop: () => t.process.stop(10_000, 'SIGINT'),
    async restart(downMs = 0) {
      await t.process.stop(10_000, 'SIGINT');
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      t.process = await launch(data, sock, port, adminUrl, superPassword);
    },
  };
  return t;
}

async function launch(data: string, sock: string, port: number, adminUrl: string, superPassword: string): Promise<RunningProcess> {
  const proc = startProcess({
    name: 'pg-test',
    user: 'postgres',
    command: `${PG_BIN}/postgres`,
    args: ['-D', data, '-p', String(port), '-k', sock, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'shared_buffers=32MB'],
  });
  await waitFor(
    'postgres accepting connections',
    async () => {
      const c = new pg.Client({ connectionString: connectionStringWithPassword(adminUrl, superPassword), connectionTimeoutMillis: 1000 });
      try {
        await c.connect();
        await c.query('SELECT 1');
        return true;
      } finally {
        await c.end().catch(() => undefined);
      }
    },
    30_000,
    250,
  ).catch(async (e: Error) => {
    await proc.stop(5000, 'SIGINT');
    throw new Error(`${e.message}\n${proc.output()}`);
  });
  return proc;
}

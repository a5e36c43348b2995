/**
 * A throw-away PostgreSQL 15 for the dataset tests and benchmark: initdb as user postgres in
 * a temp dir, listening on 127.0.0.1:<free port> only, trust authentication for the test user,
 * stopped (and deleted) by stop().
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { addRow, digest, emptyHash } from '../check.ts';
import { TABLES } from '../tables.ts';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface ThrowawayPg {
  port: number;
  dir: string;
  url(db?: string): string;
  stop(): void;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

export async function startPg(settings: Record<string, string> = {}): Promise<ThrowawayPg> {
  const dir = mkdtempSync(join(tmpdir(), 'hds-dataset-pg-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  chownSync(dir, uid, gid);
  chownSync(data, uid, gid);
  const port = await freePort();
  const as = (cmd: string, args: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe', timeout: 120_000 });
  as(`${PG_BIN}/initdb`, ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  const opts = {
    listen_addresses: "'127.0.0.1'",
    port: String(port),
    unix_socket_directories: `'${dir}'`,
    shared_buffers: '256MB',
    max_wal_size: '4GB',
    max_connections: '100',
    ...settings,
  };
  const o = Object.entries(opts)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ');
  as(`${PG_BIN}/pg_ctl`, ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', '-o', o, 'start']);
  const url = (db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`;
  return {
    port,
    dir,
    url,
    stop() {
      try {
        as(`${PG_BIN}/pg_ctl`, ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export async function createDb(adminUrl: string, name: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await c.end();
  }
}

/** Content hash of each table read back from PostgreSQL, comparable to `--check` (same canonical text). */
export async function pgTableHashes(url: string, domainUrl: (d: string) => string = () => url): Promise<Record<string, { rows: number; hash: string }>> {
  const out: Record<string, { rows: number; hash: string }> = {};
  for (const t of TABLES) {
    const c = new pg.Client({ connectionString: domainUrl(t.domain) });
    await c.connect();
    try {
      await c.query("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'");
      const h = emptyHash();
      const stream = c.query(copyTo(`COPY ${t.domain}.${t.name} TO STDOUT`));
      let rest = '';
      const decoder = new StringDecoder('utf8');
      for await (const chunk of stream) {
        const text = rest + decoder.write(chunk as Buffer);
        const lines = text.split('\n');
        rest = lines.pop() ?? '';
        for (const l of lines) addRow(h, l);
      }
      if (rest) addRow(h, rest);
      out[`${t.domain}.${t.name}`] = { rows: h.rows, hash: digest(h) };
    } finally {
      await c.end();
    }
  }
  return out;
}

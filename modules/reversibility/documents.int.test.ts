/**
 * Integration (root for the throw-away PostgreSQL 15, SoftHSM2, real openssl; no namespace, no
 * running lab): the documents of a reference-service database (modules/refservice/db.ts schema,
 * contents inline and in an object store, one of 5 MiB read in slices, one empty) exported inside
 * a REPEATABLE READ snapshot under the source token's domain key, encrypted for the taker's
 * certificate, then re-imported into the taker's database under a second token's key — the taker
 * reads every content back identical with its own HSM, the source's HSM opens none of the new
 * envelopes, a document written during the export is not in it, and no clear content is in any
 * file (EXG_REV_1, EXG_REV_14, EXG_REV_19, EXG_SEC_4.2).
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionStringWithPassword, SCHEMA_SQL } from '../refservice/db.ts';
import { open, seal } from '../refservice/envelope.ts';
import { documentObjectKey } from '../refservice/objectStore.ts';
import { HsmKeyStore, WRAP_MECHANISM_NAME } from '../runtime/hsm/keystore.ts';
import { provisionHsmToken } from '../runtime/hsm/provision.ts';
import { generatePin } from '../runtime/hsm/token.ts';
import { renderSoftHsmConf, SOFTHSM_CONF_FILE } from '../services/hsm/render.ts';
import { writeRenderedFiles } from '../testkit/files.ts';
import { freePorts } from '../testkit/net.ts';
import { startTempPostgres, type TempPostgres } from '../testkit/postgres.ts';
import { exportDocuments, importDocuments, verifyDocuments } from './documents.ts';

const MARKER = 'INT-CLEAR-MARKER-5d1e';
const DOMAIN = 'documents';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('documents: export under the source HSM, import under the taker HSM (PostgreSQL, SoftHSM2, openssl)', () => {
  let work = '';
  let pgt: TempPostgres | undefined;
  let source: HsmKeyStore | undefined;
  let taker: HsmKeyStore | undefined;
  const url = (db: string) => connectionStringWithPassword(pgt!.adminUrl.replace(/\/postgres$/, `/${db}`), pgt!.superPassword);
  const client = async (db: string) => {
    const c = new pg.Client({ connectionString: url(db) });
    await c.connect();
    return c;
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'hds-rev-docs-int-'));
    await chmod(work, 0o711);
    const [port] = await freePorts(1);
    pgt = await startTempPostgres(work, port ?? 0);
    const admin = await client('postgres');
    try {
      for (const db of ['source', 'taker']) await admin.query(`CREATE DATABASE ${db}`);
    } finally {
      await admin.end();
    }
    for (const db of ['source', 'taker']) {
      const c = await client(db);
      await c.query(SCHEMA_SQL);
      await c.end();
    }
    const hsmDir = join(work, 'hsm');
    await mkdir(join(hsmDir, 'tokens'), { recursive: true, mode: 0o700 });
    await writeRenderedFiles(hsmDir, renderSoftHsmConf({ tokenDir: join(hsmDir, 'tokens') }));
    const conf = join(hsmDir, SOFTHSM_CONF_FILE);
    const pins = { source: generatePin(), taker: generatePin() };
    for (const label of ['source', 'taker'] as const)
      await provisionHsmToken({ confPath: conf, tokenLabel: label, soPin: generatePin(), userPin: pins[label], domains: [DOMAIN] });
    source = HsmKeyStore.open({ softhsmConfPath: conf, tokenLabel: 'source', userPin: pins.source });
    taker = HsmKeyStore.open({ softhsmConfPath: conf, tokenLabel: 'taker', userPin: pins.taker });
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:3072',
        '-nodes',
        '-keyout',
        join(work, 'taker.key'),
        '-out',
        join(work, 'taker.pem'),
        '-subj',
        '/O=Repreneur/CN=taker',
        '-days',
        '30',
      ],
      { stdio: 'ignore' },
    );
  });

  afterAll(async () => {
    source?.close();
    taker?.close();
    await pgt?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('round trip: same contents under the taker keys, snapshot-consistent, nothing in clear on disk', async () => {
    const objects = new Map<string, Buffer>();
    const clear = new Map<string, Buffer>();
    const src = await client('source');
    const insert = async (c: pg.Client, body: Buffer, inline: boolean) => {
      const id = randomUUID();
      const s = seal(body, id, DOMAIN, source!);
      if (!inline) objects.set(documentObjectKey(id), s.ciphertext);
      await c.query(
        `INSERT INTO documents (id, title, patient_id, category, content_ciphertext, content_object, content_iv, content_tag, wrapped_key, key_domain, key_mechanism, size_bytes)
         VALUES ($1, 'CR', 'pat-1', 'compte-rendu', $2, $3, $4, $5, $6, $7, $8, $9)`,
        [id, inline ? s.ciphertext : null, inline ? null : documentObjectKey(id), s.iv, s.tag, s.wrappedKey, DOMAIN, WRAP_MECHANISM_NAME, body.length],
      );
      return id;
    };
    const big = Buffer.alloc(5 * 1024 * 1024 + 3, `${MARKER} large `);
    clear.set(await insert(src, big, true), big);
    clear.set(await insert(src, Buffer.alloc(0), true), Buffer.alloc(0));
    for (let i = 0; i < 24; i++) {
      const body = Buffer.from(`${MARKER} document ${i} `.repeat(1 + i * 40));
      clear.set(await insert(src, body, i % 2 === 0), body);
    }

    // The export's snapshot; a document written meanwhile is not in it.
    const dir = join(work, 'export');
    const reader = await client('source');
    await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await reader.query('SELECT 1 FROM documents LIMIT 1');
    const late = await insert(src, Buffer.from(`${MARKER} late`), true);
    const t0 = Date.now();
    const exp = await exportDocuments({
      client: reader,
      store: { get: async (key) => objects.get(key) },
      keys: source!,
      recipientCert: join(work, 'taker.pem'),
      dir,
      domain: DOMAIN,
      pageSize: 10,
    });
    const exportMs = Date.now() - t0;
    // The taker's database, loaded as the CSV of the same snapshot would load it (the source's envelopes).
    const rows = await reader.query('SELECT * FROM documents ORDER BY id');
    await reader.query('COMMIT');
    await reader.end();
    await src.end();
    expect(exp.count).toBe(clear.size);
    expect(exp.index.documents.some((d) => d.id === late)).toBe(false);
    expect(exp.bytes).toBe([...clear.values()].reduce((n, b) => n + b.length, 0));

    for (const name of await readdir(dir, { recursive: true })) {
      const p = join(dir, name);
      const b = await readFile(p).catch(() => undefined); // directories
      if (b) expect(b.includes(MARKER), name).toBe(false);
    }

    const dst = await client('taker');
    const cols = Object.keys(rows.rows[0] as object);
    for (const r of rows.rows as Array<Record<string, unknown>>)
      await dst.query(
        `INSERT INTO documents (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`,
        cols.map((c) => r[c]),
      );
    const takerObjects = new Map<string, Buffer>();
    const t1 = Date.now();
    const imp = await importDocuments({
      client: dst,
      store: { put: async (key, body) => void takerObjects.set(key, body) },
      keys: taker!,
      recipientKey: join(work, 'taker.key'),
      recipientCert: join(work, 'taker.pem'),
      dir,
    });
    const importMs = Date.now() - t1;
    expect(imp.differences).toEqual([]);
    expect(imp.count).toBe(clear.size);
    console.log(
      `documents: ${exp.count} exported in ${exportMs} ms (${(exportMs / exp.count).toFixed(1)} ms each), imported in ${importMs} ms (${(importMs / imp.count).toFixed(1)} ms each)`,
    );

    const read = async (id: string) => {
      const r = (await dst.query('SELECT * FROM documents WHERE id = $1', [id])).rows[0] as Record<string, Buffer | string | null>;
      const ciphertext = (r.content_ciphertext as Buffer | null) ?? takerObjects.get(r.content_object as string)!;
      const sealed = { ciphertext, iv: r.content_iv as Buffer, tag: r.content_tag as Buffer, wrappedKey: r.wrapped_key as Buffer };
      expect(r.key_mechanism).toBe(WRAP_MECHANISM_NAME);
      expect(() => open(sealed, id, DOMAIN, source!), `source key opens ${id}`).toThrow();
      return open(sealed, id, DOMAIN, taker!);
    };
    for (const [id, body] of clear) expect(sha(await read(id)), id).toBe(sha(body));
    expect(await verifyDocuments({ index: imp.index, read })).toEqual([]);
    expect(takerObjects.size).toBe(objects.size);
    await dst.end();
  });
});

/**
 * `hdsctl reversibility destroy --env NAME --confirm NAME` (EXG_REV_7, EXG_REV_18, DUI-C3d-7):
 * once the hand-over is approved, every copy of the data is destroyed, and the destruction is
 * proven and certified.
 *
 * Order (each step recorded with its time, method and result):
 *   1. sample      a few documents read through the API, their sealed rows and objects kept in
 *                  memory (never written) to prove afterwards that they can no longer be opened;
 *   2. shred       crypto-shredding: every HSM domain key destroyed on every token
 *                  (C_DestroyObject): every content and every backup sealed under them is now
 *                  unreadable, whatever copy of the ciphertext survives anywhere (NIST SP 800-88
 *                  cryptographic erase);
 *   3. databases   DROP DATABASE … WITH (FORCE) of every business domain;
 *   4. backups     pgBackRest stanzas deleted from every repository (the offline copy unsealed
 *                  first), then the repositories' directories listed;
 *   5. buckets     every object of the documents bucket deleted, then the bucket;
 *   6. proofs      the key objects absent from every token, databases absent, repositories and
 *                  buckets empty, each sampled document refused by the HSM and by the API;
 *   7. certificate the destruction certificate (JSON + Markdown + HTML) signed with the
 *                  non-extractable signing key (kept for that: it is not a data key);
 *   8. wipe        the lab torn down and its state directory deleted (data directories, OSD
 *                  files, tokens, logs): after the signature, checked and reported on stdout.
 * Files are deleted, not overwritten: on SSDs and thin-provisioned volumes an overwrite proves
 * nothing; the keys' destruction is what makes the remaining bytes unreadable.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteBucketCommand, DeleteObjectsCommand, HeadBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import pg from 'pg';
import { domainClient, domainWriteEndpoint, hsmUserPin, labTokens } from '../lab/access.ts';
import { labHasRepo, labOfflineRepoPath, unsealForLabTeardown } from '../lab/backup.ts';
import { labComponents } from '../lab/components/all.ts';
import { labDocumentsS3, labHasCeph } from '../lab/components/ceph.ts';
import { pgbackrestOnRepo } from '../lab/components/pgbackrest.ts';
import { edgeSites, HSM_TOKEN_LABEL, objectGateways, refserviceDomain } from '../lab/edgeEndpoints.ts';
import { labSecretOf } from '../lab/guests.ts';
import { labDown } from '../lab/lab.ts';
import { networkStatus } from '../lab/netns.ts';
import type { LabPlan } from '../lab/types.ts';
import { wafRequest } from '../lab/wafClient.ts';
import { pgRoleNames } from '../model/roles.ts';
import { open as openSealed } from '../refservice/envelope.ts';
import { redactMachinePaths } from '../reports/pv/redact.ts';
import { getObjectBytes } from '../runtime/ceph/s3.ts';
import { exists } from '../runtime/fsutil.ts';
import { HsmKeyStore } from '../runtime/hsm/keystore.ts';
import { ensureLabCa } from '../runtime/pki.ts';
import { pgCredentialRef } from '../services/fromTopology/postgres.ts';
import { SIGNING_KEY_LABEL } from './export.ts';
import { destructionSignedPayload } from './pv/signature.ts';
import type { DestroyedItem, DestructionCertificate } from './pv/types.ts';
import { ensureSigningKey, issueSigningCertificate, signWithHsm } from './signing.ts';

export class DestroyError extends Error {
  override name = 'DestroyError';
}

export interface DestroyOptions {
  plan: LabPlan;
  confirm: string | undefined;
  allowProduction: boolean;
  operator: string;
  approval?: string;
  sampleSize?: number;
  log: (line: string) => void;
}

/** The refusals, before anything is touched (pure, tested). */
export function checkDestroyRequest(env: { name: string; class: string }, confirm: string | undefined, allowProduction: boolean): void {
  if (confirm === undefined) throw new DestroyError(`--confirm is required: give --confirm ${env.name} (the environment's exact name); nothing was destroyed`);
  if (confirm !== env.name)
    throw new DestroyError(
      `--confirm ${JSON.stringify(confirm)} does not match the environment ${JSON.stringify(env.name)}: give --confirm ${env.name}; nothing was destroyed`,
    );
  if (env.class === 'production' && !allowProduction)
    throw new DestroyError(
      `environment ${env.name} is production: destroying it also needs --allow-production (after the hand-over's approval); nothing was destroyed`,
    );
}

interface Sample {
  id: string;
  sha256: string;
  row: { content_iv: Buffer; content_tag: Buffer; wrapped_key: Buffer; key_domain: string; content_object: string | null; content_ciphertext: Buffer | null };
  ciphertext: Buffer;
}

function tokens(plan: LabPlan): Array<{ site: string; conf: string }> {
  return labTokens(plan).map((t) => ({ site: t.site, conf: t.softhsmConfPath }));
}

async function withToken<T>(plan: LabPlan, conf: string, f: (s: HsmKeyStore) => T | Promise<T>): Promise<T> {
  const s = HsmKeyStore.open({ softhsmConfPath: conf, tokenLabel: HSM_TOKEN_LABEL, userPin: await hsmUserPin(plan) });
  try {
    return await f(s);
  } finally {
    s.close();
  }
}

async function adminClient(plan: LabPlan, domain: string): Promise<pg.Client> {
  const e = domainWriteEndpoint(plan, domain);
  if (!e) throw new DestroyError(`no HAProxy serves ${domain}`);
  const ca = await readFile((await ensureLabCa(join(plan.stateDir, 'pki'))).cert);
  const client = new pg.Client({
    host: e.host,
    port: e.port,
    user: pgRoleNames(domain).app,
    password: await labSecretOf(plan, pgCredentialRef(plan.topology, domain, 'app')),
    database: 'postgres',
    ssl: { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined },
    connectionTimeoutMillis: 10_000,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export interface DestroyResult {
  certificate: DestructionCertificate;
  /** After the signature: the lab torn down and its state directory gone. */
  wipe: { stateDirGone: boolean; namespacesGone: boolean; detail: string };
}

export async function destroyEnvironment(o: DestroyOptions): Promise<DestroyResult> {
  const { plan, log } = o;
  const env = plan.topology.environment;
  checkDestroyRequest({ name: env.name, class: env.class }, o.confirm, o.allowProduction);
  if (!(await exists(join(plan.stateDir, 'lab.json'))))
    throw new DestroyError(`environment ${env.name} has no lab running here (${plan.stateDir}): nothing to destroy`);
  const started = new Date();
  const items: DestroyedItem[] = [];
  const proofs: DestructionCertificate['proofs'] = { tokens: [], listings: [], documents: [] };
  const item = async (kind: DestroyedItem['kind'], name: string, site: string, method: string, f: () => Promise<string | undefined>) => {
    const at = new Date().toISOString();
    log(`destroy ${kind} ${name} (${method})`);
    try {
      const detail = await f();
      items.push({ kind, name, site, method, at, result: 'destroyed', ...(detail ? { detail } : {}) });
    } catch (e) {
      items.push({ kind, name, site, method, at, result: 'failed', detail: (e as Error).message.split('\n')[0]! });
    }
  };

  // 1. sample
  const domain = refserviceDomain(plan);
  const samples: Sample[] = [];
  const gw = objectGateways(plan)[0];
  const s3 = labHasCeph(plan) && gw ? await labDocumentsS3(plan, gw) : undefined;
  {
    const c = await domainClient(plan, domain);
    try {
      const r = await c.query<Sample['row'] & { id: string }>(
        'SELECT id::text AS id, content_iv, content_tag, wrapped_key, key_domain, content_object, content_ciphertext FROM public.documents ORDER BY md5(id::text) LIMIT $1',
        [o.sampleSize ?? 5],
      );
      const edge = edgeSites(plan)[0]!;
      for (const row of r.rows) {
        const g = await wafRequest(plan, `${edge.waf.url}/documents/${row.id}`, { timeoutMs: 20_000 });
        if (g.status !== 200)
          throw new DestroyError(`sample document ${row.id} is not readable before the destruction (GET answered ${g.status}): fix the platform first`);
        const content = Buffer.from((JSON.parse(g.body) as { contentBase64: string }).contentBase64, 'base64');
        const ciphertext =
          row.content_ciphertext ?? (s3 && row.content_object ? (await getObjectBytes(s3.client, s3.bucket, row.content_object)).body : Buffer.alloc(0));
        samples.push({ id: row.id, sha256: createHash('sha256').update(content).digest('hex'), row, ciphertext });
      }
    } finally {
      await c.end().catch(() => undefined);
    }
    log(`sampled ${samples.length} readable documents`);
  }

  // 2. crypto-shredding
  const domains = plan.hsmKeyDomains;
  for (const t of tokens(plan)) {
    await item('hsm-key', domains.join(', '), t.site, 'PKCS#11 C_DestroyObject of every domain key (crypto-shredding)', async () => {
      const destroyed = await withToken(plan, t.conf, (s) => s.destroyKeys(domains));
      return `${destroyed.length} key objects destroyed on token ${HSM_TOKEN_LABEL} of ${t.site}: ${destroyed.join(', ')}`;
    });
  }
  // 3. databases
  for (const d of plan.postgresDomains) {
    await item('database', d.name, d.primarySite, 'DROP DATABASE … WITH (FORCE) on the primary (replicated to the standby)', async () => {
      const c = await adminClient(plan, d.name);
      try {
        await c.query(`DROP DATABASE "${d.name.replace(/"/g, '""')}" WITH (FORCE)`);
      } finally {
        await c.end().catch(() => undefined);
      }
      return undefined;
    });
  }
  // 4. backup repositories
  for (const repo of [1, 2] as const) {
    if (!labHasRepo(plan, repo)) continue;
    for (const d of plan.postgresDomains) {
      await item('backup-repository', `repo${repo}/${d.name}`, 'DC3', 'pgbackrest stop + stanza-delete --force (offline copy unsealed first)', async () => {
        if (repo === 2) {
          const p = labOfflineRepoPath(plan);
          if (p) await unsealForLabTeardown(p);
        }
        await pgbackrestOnRepo(plan, [`--stanza=${d.name}`, 'stop'], 60_000).catch(() => undefined);
        await pgbackrestOnRepo(plan, [`--stanza=${d.name}`, `--repo=${repo}`, '--force', 'stanza-delete'], 300_000);
        return undefined;
      });
    }
  }
  // 5. buckets
  if (s3) {
    await item('bucket', s3.bucket, 'DC1+DC2', 'S3 DeleteObjects of every object, then DeleteBucket', async () => {
      let n = 0;
      for (;;) {
        const l = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, MaxKeys: 1000 }));
        const keys = (l.Contents ?? []).map((x) => ({ Key: x.Key! }));
        if (keys.length === 0) break;
        await s3.client.send(new DeleteObjectsCommand({ Bucket: s3.bucket, Delete: { Objects: keys, Quiet: true } }));
        n += keys.length;
      }
      await s3.client.send(new DeleteBucketCommand({ Bucket: s3.bucket }));
      return `${n} objects deleted`;
    });
  }

  // 6. proofs
  for (const t of tokens(plan)) {
    const left = await withToken(plan, t.conf, (s) => s.objectLabels().map((o) => `${o.label} (${o.class})`));
    const dataKeys = left.filter((l) => domains.some((d) => l.startsWith(`${d} (`)));
    proofs.tokens.push({ site: t.site, token: HSM_TOKEN_LABEL, labelsFound: left, domainKeysLeft: dataKeys, ok: dataKeys.length === 0 });
  }
  for (const d of plan.postgresDomains) {
    let found: boolean;
    try {
      const c = await adminClient(plan, d.name);
      try {
        found = (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [d.name])).rowCount !== 0;
      } finally {
        await c.end().catch(() => undefined);
      }
      proofs.listings.push({
        kind: 'database',
        name: d.name,
        site: d.primarySite,
        command: 'SELECT 1 FROM pg_database WHERE datname = $1',
        entries: found ? 1 : 0,
        ok: !found,
      });
    } catch (e) {
      proofs.listings.push({
        kind: 'database',
        name: d.name,
        site: d.primarySite,
        command: 'SELECT 1 FROM pg_database WHERE datname = $1',
        entries: -1,
        ok: false,
        detail: (e as Error).message.split('\n')[0]!,
      });
    }
  }
  for (const repo of [1, 2] as const) {
    if (!labHasRepo(plan, repo)) continue;
    for (const d of plan.postgresDomains) {
      const info = await pgbackrestOnRepo(plan, [`--stanza=${d.name}`, `--repo=${repo}`, 'info', '--output=json'], 60_000).catch((e: Error) => ({
        stdout: '',
        stderr: e.message,
      }));
      let sets = -1;
      try {
        const j = JSON.parse(info.stdout) as Array<{ backup?: unknown[]; status?: { code: number; message: string } }>;
        sets = j.reduce((a, s) => a + (s.backup?.length ?? 0), 0);
      } catch {
        sets = -1;
      }
      proofs.listings.push({
        kind: 'backup-repository',
        name: `repo${repo}/${d.name}`,
        site: 'DC3',
        command: `pgbackrest --stanza=${d.name} --repo=${repo} info --output=json`,
        entries: sets,
        ok: sets === 0,
        detail: info.stdout.trim().slice(0, 300) || String(info.stderr).split('\n')[0]!,
      });
    }
  }
  if (s3) {
    let gone = false;
    let detail = '';
    try {
      await s3.client.send(new HeadBucketCommand({ Bucket: s3.bucket }));
      detail = 'HeadBucket answered: the bucket still exists';
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      gone = status === 404;
      detail = `HeadBucket → ${status ?? (e as Error).name}`;
    }
    proofs.listings.push({ kind: 'bucket', name: s3.bucket, site: 'DC1+DC2', command: `S3 HeadBucket ${s3.bucket}`, entries: gone ? 0 : -1, ok: gone, detail });
  }
  const edge = edgeSites(plan)[0]!;
  for (const s of samples) {
    let hsmError = '';
    try {
      await withToken(plan, tokens(plan)[0]!.conf, (st) =>
        openSealed({ ciphertext: s.ciphertext, iv: s.row.content_iv, tag: s.row.content_tag, wrappedKey: s.row.wrapped_key }, s.id, s.row.key_domain, st),
      );
      hsmError = '';
    } catch (e) {
      hsmError = (e as Error).message.split('\n')[0]!;
    }
    const g = await wafRequest(plan, `${edge.waf.url}/documents/${s.id}`, { timeoutMs: 20_000 }).catch((e: Error) => ({ status: 0, body: e.message }));
    proofs.documents.push({
      domain: s.row.key_domain,
      id: s.id,
      readableBefore: true,
      readableAfter: hsmError === '',
      error: hsmError || 'decrypted: the key is still there',
      contentSha256Before: s.sha256,
      ciphertextSha256: createHash('sha256').update(s.ciphertext).digest('hex'),
      apiStatusAfter: g.status,
      ok: hsmError !== '' && g.status !== 200,
    });
  }

  // 7. certificate
  const ended = new Date();
  const ok =
    items.every((i) => i.result === 'destroyed') && [...proofs.tokens, ...proofs.listings, ...proofs.documents].every((p) => p.ok) && samples.length > 0;
  const unredacted: DestructionCertificate = {
    kind: 'hds-platform-destruction-certificate',
    version: 1,
    id: `${started.toISOString().replace(/[:.]/g, '-')}-destroy-${env.name}`,
    environment: env.name,
    environmentClass: env.class,
    operator: o.operator,
    approval: o.approval ?? null,
    startedAt: started.toISOString(),
    endedAt: ended.toISOString(),
    verdict: ok ? 'destroyed' : 'incomplete',
    items,
    proofs,
    afterSignature:
      'the lab is torn down and its state directory (database data directories, Ceph OSD files, HSM token files, logs, secrets) deleted right after this signature',
    notCovered: [
      { what: 'the export handed over to the taker', why: 'it is the taker’s from the hand-over on; its own destruction is the taker’s procedure' },
      {
        what: 'copies outside the platform (offline media under a procedure, a taker’s rebuild)',
        why: 'not reachable from here; the crypto-shredding makes every copy sealed under the destroyed keys unreadable',
      },
    ],
    evidence: [],
    signature: null,
    rex: '',
    validation: { signatures: [] },
  };
  // Signed as shown: no absolute path of this machine in what people sign (error texts quote paths).
  const certificate = redactMachinePaths(unredacted);
  const signer = { softhsmConfPath: tokens(plan)[0]!.conf, tokenLabel: HSM_TOKEN_LABEL, userPin: await hsmUserPin(plan), label: SIGNING_KEY_LABEL };
  const key = await ensureSigningKey(signer);
  const certPem = await issueSigningCertificate({
    publicKeyPem: key.publicKeyPem,
    subject: `/O=hds-platform/OU=${env.name}/CN=destruction certificate signing`,
    ca: await ensureLabCa(join(plan.stateDir, 'pki')),
    days: 3650,
    outPath: join(plan.stateDir, 'pki', 'destruction-signing-cert.pem'),
  });
  const body = Buffer.from(destructionSignedPayload(certificate));
  const sig = await signWithHsm(signer, body);
  certificate.signature = {
    algorithm: 'ECDSA-P256-SHA256',
    signedSha256: createHash('sha256').update(body).digest('hex'),
    certificatePem: certPem,
    certificateSha256: createHash('sha256').update(new X509Certificate(certPem).raw).digest('hex'),
    sig: sig.toString('base64'),
  };

  // 8. wipe (after the signature)
  await labDown(plan, { components: labComponents(plan), log, purge: true });
  const stateDirGone = !(await exists(plan.stateDir));
  const net = await networkStatus(plan);
  const namespacesGone = !net.bridge && Object.values(net.netns).every((x) => !x);
  const leftovers = stateDirGone ? [] : await readdir(plan.stateDir).catch(() => []);
  return {
    certificate,
    wipe: {
      stateDirGone,
      namespacesGone,
      detail: stateDirGone ? 'the lab state directory deleted' : `left in the lab state directory: ${leftovers.join(', ')}`,
    },
  };
}

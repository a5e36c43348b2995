/**
 * Reversibility against the real lab (issue 15, docs/reversibility.md; root: namespaces, services):
 * an export refused into a directory it did not make; an export killed mid-way and resumed ends
 * with the files it had finished unchanged and verifies; the dry run (export → the export's own
 * bootstrap.sh → a second lab on its own network slot → load, re-import, verify, smoke → teardown)
 * finds zero differences; a flipped byte makes bootstrap.sh fail naming the file, a missing or
 * foreign signature is refused; destroy is refused without the exact name, then crypto-shreds the
 * keys, drops, deletes, proves and signs, and leaves nothing of the lab.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labComponents } from '../lab/components/all.ts';
import { edgeSites } from '../lab/edgeEndpoints.ts';
import { labDown, labUp } from '../lab/lab.ts';
import { listNetns } from '../lab/netns.ts';
import { shippedLabPlan } from '../lab/testing.ts';
import { wafRequest } from '../lab/wafClient.ts';
import { REPO_ROOT } from '../loader/paths.ts';
import { checkDestroyRequest, DestroyError, destroyEnvironment } from './destroy.ts';
import { reversibilityDryRun, takerKeyPair } from './dryRun.ts';
import { ExportError, exportEnvironment } from './export.ts';
import { destructionFindings, dryRunFindings, renderDestruction, renderDryRun } from './pv/index.ts';
import { verifyExport } from './signing.ts';

const isRoot = process.getuid?.() === 0;
const cli = [join(REPO_ROOT, 'bin', 'hdsctl.js')];
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe.skipIf(!isRoot)('reversibility against the real lab (root)', () => {
  const stateDir = mkdtempSync('/tmp/hds-rev-int-');
  chmodSync(stateDir, 0o755);
  const plan = shippedLabPlan(join(stateDir, 'lab'));
  const components = labComponents(plan);
  const log = (l: string) => process.stderr.write(`[reversibility] ${l}\n`);
  const taker = join(stateDir, 'taker');
  let takerCert = '';
  const documents: Array<{ id: string; sha256: string }> = [];
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim() !== '';

  beforeAll(async () => {
    const busy = (await listNetns()).filter((n) => plan.sites.some((s) => s.netns === n));
    if (busy.length > 0) throw new Error(`another lab is running (namespaces ${busy.join(', ')} exist): tear it down first`);
    await labUp(plan, { components, log });
    const edge = edgeSites(plan)[0]!;
    for (let i = 0; i < 6; i++) {
      const content = Buffer.from(`Compte rendu ${i}: ${'é'.repeat(200 + i)}`, 'utf8');
      const r = await wafRequest(plan, `${edge.waf.url}/documents`, {
        method: 'POST',
        body: { title: `Reversibility ${i}`, patientId: `rev-${i}`, category: 'CR-CONSULT', contentBase64: content.toString('base64') },
        timeoutMs: 20_000,
      });
      expect(r.status).toBe(201);
      documents.push({ id: (JSON.parse(r.body) as { id: string }).id, sha256: createHash('sha256').update(content).digest('hex') });
    }
    takerCert = (await takerKeyPair(taker)).cert;
  }, 600_000);

  afterAll(async () => {
    if (existsSync(join(stateDir, 'lab', 'run'))) await labDown(plan, { components, log, purge: true }).catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  }, 300_000);

  const exportCli = (out: string, env: Record<string, string> = {}) =>
    spawnSync(
      process.execPath,
      [
        ...cli,
        'reversibility',
        'export',
        '--out',
        out,
        '--recipient',
        takerCert,
        '--platform',
        'environment',
        '--no-probe',
        ...(dirty ? ['--allow-dirty'] : []),
      ],
      {
        env: { ...process.env, HDS_STATE_DIR: stateDir, NO_COLOR: '1', ...env },
        encoding: 'utf8',
        timeout: 600_000,
      },
    );

  it('refuses a directory it did not create; a killed export resumes and keeps what it had finished', async () => {
    const foreign = join(stateDir, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'keep me');
    await expect(
      exportEnvironment({
        plan,
        environmentsDir: join(REPO_ROOT, 'environments'),
        out: foreign,
        repoDir: REPO_ROOT,
        hdsctl: { command: process.execPath, args: cli },
        log,
        probe: false,
      }),
    ).rejects.toThrow(ExportError);
    expect(readFileSync(join(foreign, 'notes.txt'), 'utf8')).toBe('keep me');

    const out = join(stateDir, 'export-resumed');
    const killed = exportCli(out, { HDS_TEST_EXPORT_CRASH_AFTER_DOCUMENTS: '3' });
    expect(killed.signal).toBe('SIGKILL');
    const journal = readFileSync(join(out, '.hds-export', 'documents.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string });
    expect(journal.length).toBeGreaterThanOrEqual(3);
    const before = Object.fromEntries(journal.map((e) => [e.file, sha(join(out, e.file))]));
    expect(existsSync(join(out, 'SHA256SUMS.sig'))).toBe(false);

    const resumed = exportCli(out);
    expect(resumed.status, resumed.stderr.slice(-2000)).toBe(0);
    expect(resumed.stderr).toMatch(/platform: complete in the interrupted run, kept/);
    for (const [file, h] of Object.entries(before)) expect(sha(join(out, file)), file).toBe(h);
    expect(existsSync(join(out, '.hds-export'))).toBe(false);
    const v = await verifyExport(out);
    expect(v.problems).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.documents.count).toBeGreaterThanOrEqual(documents.length);
  }, 900_000);

  let keptExport = '';
  it('dry run: the export rebuilt by its own bootstrap.sh in a second lab, zero differences, a report that renders', async () => {
    const { run, dir } = await reversibilityDryRun({
      plan,
      environmentsDir: join(REPO_ROOT, 'environments'),
      repoDir: REPO_ROOT,
      hdsctl: { command: process.execPath, args: cli },
      operator: 'ci',
      keepExport: true,
      platformScope: 'environment',
      // The checkout at the bundle's commit (npm ci of the bundle's clone is kit.test.ts's and the bench's).
      toolkitDir: REPO_ROOT,
      ...(dirty ? { allowDirty: true } : {}),
      log,
    });
    keptExport = join(dir, 'export');
    expect(run.differences).toEqual([]);
    // The WAF's audit logs went with the data: complete JSON lines, listed in SHA256SUMS.
    const access = join(keptExport, 'data', 'audit', 'DC1', 'access.json.log');
    expect(readFileSync(access, 'utf8').length).toBeGreaterThan(0);
    for (const l of readFileSync(access, 'utf8').split('\n').filter(Boolean)) JSON.parse(l);
    expect(readFileSync(join(keptExport, 'SHA256SUMS'), 'utf8')).toContain('  data/audit/DC1/access.json.log');
    expect(run.verdict).toBe('passed');
    expect(dryRunFindings(run)).toEqual([]);
    expect(run.volumes.rows).toBeGreaterThan(0);
    expect(run.volumes.documents).toBeGreaterThanOrEqual(documents.length);
    expect(run.rebuilt?.netns?.every((n) => /^hds-s\d+-dc\d$/.test(n))).toBe(true);
    expect(run.rebuilt?.smoke?.every((s) => s.ok)).toBe(true);
    expect(run.availability?.requests).toBeGreaterThan(0);
    expect(run.availability?.errors).toBe(0);
    expect(run.notDone?.some((n) => n.includes('not rebuilt from the bundle'))).toBe(true);
    // The copy is gone: no namespace of another slot is left.
    expect((await listNetns()).filter((n) => /^hds-s\d+-/.test(n))).toEqual([]);
    const html = renderDryRun(run, 'fr').html;
    // No absolute path of this machine in the report (--toolkit and error texts quote paths).
    expect(renderDryRun(run, 'fr').json).not.toContain(REPO_ROOT);
    expect(renderDryRun(run, 'fr').json).not.toMatch(/"\/tmp\//);
    expect(html).toContain(run.id);
  }, 1_800_000);

  it('bootstrap.sh names a flipped byte, refuses a missing or foreign signature, before touching anything', () => {
    expect(keptExport).not.toBe('');
    const boot = (dir: string) => spawnSync('bash', [join(dir, 'bootstrap.sh'), '--export', dir, '--verify-only'], { encoding: 'utf8', timeout: 120_000 });
    const ok = boot(keptExport);
    expect(ok.status, ok.stderr).toBe(0);

    const csv = readFileSync(join(keptExport, 'SHA256SUMS'), 'utf8')
      .split('\n')
      .find((l) => l.endsWith('.csv'))!
      .slice(66);
    const target = join(keptExport, csv);
    const bytes = readFileSync(target);
    const flipped = Buffer.from(bytes);
    const at = Math.floor(flipped.length / 2);
    flipped[at] = (flipped[at] ?? 0) ^ 0x01;
    writeFileSync(target, flipped);
    const bad = boot(keptExport);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(csv);
    writeFileSync(target, bytes);

    const sig = join(keptExport, 'SHA256SUMS.sig');
    copyFileSync(sig, `${sig}.bak`);
    unlinkSync(sig);
    const unsigned = boot(keptExport);
    expect(unsigned.status).toBe(1);
    expect(unsigned.stderr).toMatch(/signature/i);
    // Signed by another key: refused.
    const other = join(stateDir, 'other-key.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', other]);
    execFileSync('openssl', ['dgst', '-sha256', '-sign', other, '-out', sig, join(keptExport, 'SHA256SUMS')]);
    const foreign = boot(keptExport);
    expect(foreign.status).toBe(1);
    expect(foreign.stderr).toMatch(/signature/i);
    copyFileSync(`${sig}.bak`, sig);
    unlinkSync(`${sig}.bak`);
    rmSync(keptExport, { recursive: true, force: true });
  }, 300_000);

  it('destroy: refused without the exact name; then keys shredded, data gone, proofs hold, certificate signed, nothing left', async () => {
    expect(() => checkDestroyRequest({ name: 'lab', class: 'lab' }, undefined, false)).toThrow(DestroyError);
    expect(() => checkDestroyRequest({ name: 'lab', class: 'lab' }, 'LAB', false)).toThrow(/does not match/);
    expect(() => checkDestroyRequest({ name: 'production', class: 'production' }, 'production', false)).toThrow(/--allow-production/);
    await expect(destroyEnvironment({ plan, confirm: 'lab ', allowProduction: false, operator: 'ci', log })).rejects.toThrow(DestroyError);
    // Refused: the documents are still readable.
    const edge = edgeSites(plan)[0]!;
    expect((await wafRequest(plan, `${edge.waf.url}/documents/${documents[0]!.id}`)).status).toBe(200);

    const { certificate, wipe } = await destroyEnvironment({ plan, confirm: 'lab', allowProduction: false, operator: 'ci', approval: 'CI-REV-15', log });
    expect(certificate.items.filter((i) => i.result !== 'destroyed')).toEqual([]);
    expect(certificate.verdict).toBe('destroyed');
    expect(certificate.proofs.tokens.length).toBe(edgeSites(plan).length);
    for (const t of certificate.proofs.tokens) expect(t.domainKeysLeft).toEqual([]);
    // The signing key is not a data key: it survives, on the token that signs (DC1's).
    expect(certificate.proofs.tokens[0]!.labelsFound.some((l) => l.startsWith('reversibility-signing'))).toBe(true);
    expect(certificate.proofs.documents.length).toBeGreaterThan(0);
    for (const d of certificate.proofs.documents) {
      expect(d.readableAfter).toBe(false);
      expect(d.error).not.toBe('');
      expect(d.apiStatusAfter).not.toBe(200);
    }
    for (const l of certificate.proofs.listings) expect(l.entries, `${l.kind} ${l.name}`).toBe(0);
    expect(certificate.signature).not.toBeNull();
    expect(destructionFindings(certificate)).toEqual([]);
    expect(renderDestruction(certificate, 'en').md).toContain('CI-REV-15');
    // No absolute path of this machine in what people sign (non-negotiable 6).
    for (const text of [renderDestruction(certificate, 'fr').json, JSON.stringify(wipe)]) {
      expect(text).not.toContain(REPO_ROOT);
      expect(text).not.toContain(stateDir);
    }
    expect(wipe.stateDirGone).toBe(true);
    expect(wipe.namespacesGone).toBe(true);
    expect((await listNetns()).filter((n) => plan.sites.some((s) => s.netns === n))).toEqual([]);
  }, 600_000);
});

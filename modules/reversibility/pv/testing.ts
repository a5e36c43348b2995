/**
 * Fixture records of the reversibility documents for the tests (and a docs example): a dry run of
 * the lab that passes, one with differences and a failed phase, one with hostile free text; a
 * destruction certificate that proves the destruction, one that does not, one with hostile text.
 * Deterministic: no clock, no randomness; no absolute path, no URL (modules/reports/pv/contract.ts).
 */
import { createHash } from 'node:crypto';
import { fixtureEvidence } from '../../reports/pv/testing.ts';
import type { DestructionCertificate, DryRunDifferenceDetail, ReversibilityDryRun } from './types.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export function fixtureDryRun(): ReversibilityDryRun {
  const t0 = Date.parse('2026-10-14T08:00:00.000Z');
  const phases: Array<[ReversibilityDryRun['phases'][number]['name'], number, string?]> = [
    ['export', 212_400, 'hdsctl reversibility export --env lab --recipient taker.pem (2 domains, 14 tables)'],
    ['verify', 6_830, 'SHA256SUMS.sig verified (ECDSA P-256, signing-cert.pem); 1 204 files hashed'],
    ['install', 41_200, 'apt-get install from kit/debian-packages.txt; npm ci from kit/package-lock.json'],
    ['rebuild', 96_550, 'lab rebuilt from kit/hds-platform.bundle and platform/, namespaces hdsrev-*'],
    ['load', 118_020, 'pg_restore of data/*/dump.pgcustom'],
    ['documents', 22_310, '2 000 documents decrypted with the taker’s key, re-encrypted into token taker-dc1'],
    ['check', 15_900, '14 tables: row counts and content hashes equal to the manifest; 2 000 documents equal'],
    ['smoke', 9_700, 'reference service: health, write, read back through the WAF'],
    ['teardown', 12_090, 'namespaces, data directories and the taker’s token destroyed'],
  ];
  let t = t0;
  const rows = phases.map(([name, durationMs, detail]) => {
    const p = { name, startedAt: new Date(t).toISOString(), durationMs, result: 'passed' as const, ...(detail ? { detail } : {}) };
    t += durationMs;
    return p;
  });
  const evidence = [
    ['export/SHA256SUMS', 'liste signée des empreintes de l’export / signed hash list of the export', 98_412],
    ['export/SHA256SUMS.sig', 'signature HSM / HSM signature', 72],
    ['bootstrap.log', 'journal de bootstrap.sh / bootstrap.sh log', 48_230],
    ['probes.jsonl', 'sondes de disponibilité à travers le WAF / availability probes through the WAF', 1_204_556],
    ['check.json', 'lignes et empreintes comparées au manifeste / rows and hashes against the manifest', 6_102],
    ['pg_dump-baseline.txt', 'pg_dump des mêmes bases / pg_dump of the same databases', 433],
    ['teardown.log', 'destruction de la copie / teardown of the copy', 2_011],
  ] as const;
  return {
    id: '2026-10-14T08-00-00Z-dry-run',
    environment: 'lab',
    operator: 'c.martin',
    startedAt: new Date(t0).toISOString(),
    endedAt: new Date(t).toISOString(),
    verdict: 'passed',
    export: {
      manifestSha256: sha('manifest.json'),
      commit: '5f0c2a9e4b1d7c3a8e6f2b0d9c4a7e1f3b5d8c2a',
      snapshotAt: '2026-10-14T08:00:03.118Z',
      recipient: 'CN=Repreneur Test, O=Taker, C=FR',
    },
    isolation: 'namespaces of their own on a bridge of their own, no route to the source',
    rebuilt: {
      slot: 2,
      netns: ['hds2-dc1', 'hds2-dc2', 'hds2-dc3'],
      smoke: [
        { name: 'health through the WAF', ok: true },
        { name: 'write then read back a document', ok: true, detail: 'document 5e1f… written and read back, SHA-256 equal' },
      ],
    },
    exportKept: false,
    phases: rows,
    volumes: {
      files: 1_204,
      bytes: 3_221_225_472,
      tables: 14,
      rows: 1_204_331,
      documents: 2_000,
      sections: {
        data: { files: 44, bytes: 2_684_354_560 },
        documents: { files: 2_001, bytes: 402_653_184 },
        platform: { files: 312, bytes: 8_388_608 },
        inventory: { files: 5, bytes: 1_048_576 },
        kit: { files: 4, bytes: 124_780_544 },
      },
    },
    differences: [],
    availability: {
      probe: 'GET /health and GET /documents/{id} through the WAF of DC1 and DC2',
      intervalMs: 250,
      from: '2026-10-14T08:00:00.000Z',
      to: '2026-10-14T08:03:32.400Z',
      requests: 1_699,
      errors: 0,
      availability: 1,
      latencyMs: { p50: 4.2, p95: 11.8, max: 87 },
      firstErrors: [],
    },
    rate: {
      bytes: 3_221_225_472,
      durationMs: 212_400,
      bytesPerSecond: 15_165_845,
      pgDump: { bytes: 2_147_483_648, durationMs: 118_000, bytesPerSecond: 18_199_014 },
    },
    evidence: fixtureEvidence(evidence),
    notIncluded: [
      { what: 'Kafka topics content', why: 'no broker runs here; topics and users are in platform/ as resources' },
      { what: 'HSM private keys', why: 'non-extractable by design; the key cartography is in inventory/hsm-keys.json' },
    ],
    notDone: ['packages not installed (--no-install): this machine already has them'],
    lessons: ['the export ran at 0.83× pg_dump: the CSV and the hashing cost 17 %'],
    rex: '',
  };
}

/** The fixture with two differences and a failed check phase (the runtime still wrote `passed`: the report must show the failure). */
export function failingDryRun(): ReversibilityDryRun {
  const run = fixtureDryRun();
  run.differences = [
    {
      kind: 'file-hash',
      where: 'data/documents/public.document.csv',
      expected: sha('expected'),
      found: sha('found'),
      detail: 'one byte changed after the export',
    },
    { kind: 'row-count', where: 'documents/public.document', expected: '120000', found: '119999' },
  ];
  const check = run.phases.find((p) => p.name === 'check')!;
  check.result = 'failed';
  check.detail = '2 differences: see the differences and check.json';
  run.differences.push('documents/index.json.cms: cannot be decrypted with the taker’s key');
  run.rebuilt!.smoke![1] = { name: 'write then read back a document', ok: false, detail: 'GET answered 502' };
  run.availability!.errors = 3;
  run.availability!.availability = 1 - 3 / 1699;
  run.availability!.firstErrors = ['dc1 502/bad gateway', 'dc1 502/bad gateway', 'dc2 timeout'];
  return run;
}

/** The fixture with hostile values where the record carries free text: markup, table pipes, backticks, quotes. */
export function hostileDryRun(): ReversibilityDryRun {
  const run = failingDryRun();
  run.environment = 'lab<script>alert(1)</script>';
  run.operator = `o'neil "op" | \`x\` <b>`;
  run.phases[0]!.detail = '<style>body{display:none}</style> | pipe';
  run.phases.push({ name: 'custom<i>', startedAt: run.endedAt, durationMs: 1, result: 'skipped', detail: '```fence```' });
  (run.differences[0] as DryRunDifferenceDetail).where = 'data/<img src=x onerror=alert(1)>.csv|x';
  (run.differences[1] as DryRunDifferenceDetail).detail = '# heading?\n- list?';
  run.differences.push('<b>plain</b> | string\n# x');
  run.notDone!.push('<u>not</u> | done');
  run.lessons!.push('# <script>x</script>');
  run.rebuilt!.netns!.push('<i>ns</i>');
  run.availability!.firstErrors!.push('<svg onload=alert(4)> | e');
  run.notIncluded.push({ what: '<iframe src="http://evil.example/">', why: '*bold* _it_ [link](x)' });
  run.evidence[0]!.what = 'sums | <svg onload=alert(3)>';
  run.isolation = '<u>iso</u>';
  run.rex = '# not a heading\n- <script>alert(2)</script> | x';
  return run;
}

export function fixtureDestruction(): DestructionCertificate {
  const at = (s: number) => new Date(Date.parse('2027-02-01T09:00:00.000Z') + s * 1000).toISOString();
  const keys = ['dek-documents', 'dek-accounts', 'kek-backup'];
  const evidence = [
    ['destroy.log', 'journal de la destruction / destruction log', 14_882],
    ['hsm-objects-after.txt', 'objets de chaque jeton après destruction / objects on every token after', 1_204],
    ['pgbackrest-info.json', 'pgbackrest info après suppression / after stanza-delete', 211],
    ['s3-listing.json', 'liste des compartiments / bucket listing', 96],
    ['documents-after.json', 'essais de déchiffrement / decryption attempts', 3_402],
  ] as const;
  return {
    id: '2027-02-01T09-00-00Z-destroy',
    environment: 'lab',
    operator: 'c.martin',
    environmentClass: 'recette',
    requestedBy: 'Cnam — responsable de traitement',
    approval: 'Décision DSI-2027-014 du 2027-01-28',
    approvedAt: '2027-01-28',
    takeoverAt: '2026-12-15T00:00:00.000Z',
    startedAt: at(0),
    endedAt: at(95),
    verdict: 'destroyed',
    items: [
      ...keys.flatMap((name, i) =>
        ['dc1', 'dc2'].map((site, j) => ({
          kind: 'hsm-key' as const,
          name,
          site,
          method: 'C_DestroyObject',
          at: at(2 + i * 2 + j),
          result: 'destroyed' as const,
        })),
      ),
      { kind: 'database', name: 'documents', site: 'dc1', method: 'DROP DATABASE', at: at(20), result: 'destroyed' },
      { kind: 'database', name: 'accounts', site: 'dc1', method: 'DROP DATABASE', at: at(22), result: 'destroyed' },
      { kind: 'backup-repository', name: 'repo1', site: 'dc3', method: 'pgbackrest stanza-delete + rm -r', at: at(40), result: 'destroyed' },
      { kind: 'bucket', name: 'documents', site: 'dc1', method: 'S3 DeleteObjects + DeleteBucket', at: at(55), result: 'destroyed' },
      {
        kind: 'data-directory',
        name: 'postgresql/15/main',
        site: 'dc2',
        method: 'wipe',
        at: at(70),
        result: 'already-absent',
        detail: 'removed by a previous, interrupted run',
      },
      { kind: 'state', name: '.state/lab', site: 'dc1', method: 'rm -r', at: at(90), result: 'destroyed' },
    ],
    afterSignature: 'the lab is torn down and its state directory deleted right after this signature',
    proofs: {
      tokens: [
        { token: 'hds-dc1', site: 'dc1', labelsFound: ['signing-reversibility'] },
        { token: 'hds-dc2', site: 'dc2', labelsFound: [] },
      ],
      listings: [
        { kind: 'backup-repository', name: 'repo1', site: 'dc3', command: 'pgbackrest info --output=json', entries: 0 },
        { kind: 'bucket', name: 'documents', site: 'dc1', command: 's3 list-buckets; s3 list-objects documents', entries: 0 },
        { kind: 'database', name: 'documents', site: 'dc1', command: 'SELECT 1 FROM pg_database WHERE datname = $1', entries: 0, detail: 'no such database' },
      ],
      documents: [
        {
          domain: 'documents',
          id: '7f3c9a10',
          readableBefore: true,
          readableAfter: false,
          error: 'CKR_OBJECT_HANDLE_INVALID: no key labelled dek-documents',
          contentSha256Before: sha('content-7f3c9a10'),
          ciphertextSha256: sha('ciphertext-7f3c9a10'),
          apiStatusAfter: 503,
        },
        { domain: 'documents', id: 'a1b2c3d4', readableBefore: true, readableAfter: false, error: 'CKR_OBJECT_HANDLE_INVALID: no key labelled dek-documents' },
        { domain: 'accounts', id: 'acc-000017', readableBefore: true, readableAfter: false, error: 'unwrap failed: key dek-accounts not found' },
      ],
    },
    notCovered: [{ what: 'offline backup media (repo2)', why: 'held offline in DC3: destroyed under procedure PR-DEST-02, its own PV' }],
    evidence: fixtureEvidence(evidence),
    signature: {
      algorithm: 'ECDSA-P256-SHA256',
      certificateSha256: sha('signing-cert.pem'),
      sig: Buffer.from(sha('sig-1') + sha('sig-2'), 'hex').toString('base64'),
    },
    rex: '',
  };
}

/** A destruction not proven: a key left on a token, a bucket not empty, a document that still decrypts, a failed item; the runtime wrote `passed`. */
export function failingDestruction(): DestructionCertificate {
  const c = fixtureDestruction();
  c.proofs.tokens[1]!.labelsFound = ['dek-accounts'];
  c.proofs.listings[1]!.entries = 3;
  c.proofs.listings[1]!.sample = ['7f3c9a10', 'a1b2c3d4', 'ffee0001'];
  c.proofs.documents[2]!.readableAfter = true;
  c.proofs.documents[2]!.error = '';
  c.items[6]!.result = 'failed';
  c.items[6]!.detail = 'ERROR: database "documents" is being accessed by other users';
  c.signature = null;
  return c;
}

export function hostileDestruction(): DestructionCertificate {
  const c = failingDestruction();
  c.environment = 'lab<script>alert(1)</script>';
  c.requestedBy = `o'neil "ctrl" | \`x\` <b>`;
  c.approval = '<u>approval</u> | x';
  c.afterSignature = '<style>x</style>';
  c.proofs.listings[2]!.detail = '<i>d</i> | x';
  c.items[0]!.name = 'dek-<i>|x';
  c.items[0]!.detail = '<style>body{display:none}</style>';
  c.proofs.tokens[0]!.labelsFound.push('<img src=x onerror=alert(1)>');
  c.proofs.documents[0]!.error = '```fence``` | <svg onload=alert(3)>';
  c.notCovered.push({ what: '<iframe src="http://evil.example/">', why: '*bold* _it_ [link](x)' });
  c.signature = { algorithm: '<b>alg</b>', certificateSha256: 'x|y', sig: 'AAAA<script>' };
  c.rex = '# not a heading\n- <script>alert(2)</script> | x';
  return c;
}

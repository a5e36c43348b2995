/**
 * A fixture `RestoreTestRun` for the PV tests (and a docs example): a random restore test of the
 * documents domain that passes, a variant with a failed check, and one with hostile free text.
 * Deterministic: no clock, no randomness.
 */
import { fixtureEvidence } from '../../reports/pv/testing.ts';
import type { RestoreCheck, RestoreTestRun } from '../types.ts';

export function fixtureRestoreRun(): RestoreTestRun {
  const checks: RestoreCheck[] = [
    { id: 'physical.checksums', verdict: 'pass', detail: 'data checksums on; 0 page failure over 41 217 pages read', evidence: 'checks/checksums.txt' },
    { id: 'physical.amcheck', verdict: 'pass', detail: 'pg_amcheck --heapallindexed over 38 relations: 0 corruption', evidence: 'checks/amcheck.txt' },
    {
      id: 'logical.ledger-before',
      verdict: 'pass',
      detail: '1 180 writes acknowledged before the target: 1 180 present (4 ambiguous left out)',
      evidence: 'checks/ledger.json',
    },
    { id: 'logical.ledger-after', verdict: 'pass', detail: '312 writes sent after the target: 0 present', evidence: 'checks/ledger.json' },
    {
      id: 'logical.table-hashes',
      verdict: 'pass',
      detail: '12 tables: row counts and content hashes equal to the source at the target time',
      evidence: 'checks/tables.json',
    },
    {
      id: 'service.document-read',
      verdict: 'pass',
      detail: 'document 7f3c… read back through the reference service, SHA-256 equal',
      evidence: 'checks/document.json',
    },
  ];
  const evidence = [
    ['info.json', 'pgbackrest info --output=json (liste des jeux / backup sets)', 4_812],
    ['restore.log', 'journal pgbackrest restore', 18_204],
    ['postgresql.log', 'journal PostgreSQL du site de restauration (rejeu des WAL)', 9_377],
    ['checks/checksums.txt', 'pg_checksums / data checksums', 211],
    ['checks/amcheck.txt', 'pg_amcheck', 1_022],
    ['checks/ledger.json', 'registre des écritures et attendus à l’instant cible / ledger expectations', 96_410],
    ['checks/tables.json', 'empreintes des tables source et copie / table fingerprints', 2_904],
    ['checks/document.json', 'relecture d’un document / document read back', 388],
    ['destroy.log', 'destruction de la copie / destruction record', 640],
  ] as const;
  return {
    id: '2026-11-30T02-17-00Z-restore-documents',
    environment: 'lab',
    domain: 'documents',
    operator: 'c.martin',
    startedAt: '2026-11-30T02:17:00.000Z',
    endedAt: '2026-11-30T02:21:42.500Z',
    choice: {
      mode: 'random',
      seed: 'audit-2026-11',
      backupSet: {
        label: '20261129-010000F_20261130-010000D',
        type: 'diff',
        startedAt: '2026-11-30T01:00:00.000Z',
        stoppedAt: '2026-11-30T01:00:20.000Z',
        sizeBytes: 2_254_857_830,
        repoSizeBytes: 412_008_112,
        repo: 1,
        prior: '20261129-010000F',
        walStart: '00000003000000000000004A',
        walStop: '00000003000000000000004A',
      },
      targetTime: '2026-11-30T01:55:38.261Z',
      window: { from: '2026-11-29T01:00:31.000Z', to: '2026-11-30T02:15:30.000Z' },
      candidates: 3,
    },
    phases: [
      { name: 'choose', startedAt: '2026-11-30T02:17:00.000Z', durationMs: 850, detail: 'pgbackrest info --output=json; seed audit-2026-11' },
      {
        name: 'restore',
        startedAt: '2026-11-30T02:17:00.850Z',
        durationMs: 19_120,
        detail: 'pgbackrest restore --set=20261129-010000F_20261130-010000D --type=time',
      },
      { name: 'start', startedAt: '2026-11-30T02:17:19.970Z', durationMs: 41_530, detail: 'recovery to 2026-11-30T01:55:38.261Z, promoted' },
      { name: 'checks', startedAt: '2026-11-30T02:18:01.500Z', durationMs: 198_400 },
      { name: 'destroy', startedAt: '2026-11-30T02:21:19.900Z', durationMs: 22_600 },
    ],
    rate: { bytes: 2_254_857_830, durationMs: 19_120, bytesPerSecond: 117_931_894, baselineBytesPerSecond: 190_000_000 },
    checks,
    destroyed: {
      at: '2026-11-30T02:21:42.500Z',
      what: ['restored data directory (encrypted volume closed, then erased)', 'network namespace hds-restore-documents', 'volume key of the restore site'],
    },
    isolation: {
      netns: 'hds-restore-documents',
      route: 'none',
      tls: true,
      encryptedAtRest: 'LUKS2 aes-xts-plain64 (512-bit key), key wrapped by the HSM, as production',
      access: 'operator only: unix socket 0700, pg_hba hostssl with client certificate',
    },
    evidence: fixtureEvidence(evidence),
    verdict: 'pass',
    rex: '',
  };
}

/** The fixture with a physical check failed (the runtime still wrote `verdict: 'pass'`: the PV must show the failure). */
export function failingRestoreRun(): RestoreTestRun {
  const run = fixtureRestoreRun();
  run.checks[1] = {
    id: 'physical.amcheck',
    verdict: 'fail',
    detail: 'pg_amcheck: 1 corrupt btree index (documents.document_pkey)',
    evidence: 'checks/amcheck.txt',
  };
  return run;
}

/** The fixture with hostile values where the run carries free text: markup, table pipes, backticks, quotes. */
export function hostileRestoreRun(): RestoreTestRun {
  const run = fixtureRestoreRun();
  run.domain = 'docs<script>alert(1)</script>';
  run.choice.seed = `it's "seed" | \`x\` <b>`;
  run.checks[0]!.detail = 'ok <img src=x onerror=alert(1)> | pipe';
  run.checks.push({ id: 'custom.<i>', title: { fr: 'titre <u>fr</u>', en: 'title <u>en</u>' }, verdict: 'skipped', detail: '```fence```' });
  run.evidence[0]!.what = 'info | <iframe src="http://evil.example/">';
  run.destroyed!.what.push('<svg onload=alert(3)>');
  run.phases[0]!.detail = '<style>body{display:none}</style>';
  run.rex = '# not a heading\n- <script>alert(2)</script> | x';
  return run;
}

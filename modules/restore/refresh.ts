/**
 * Environment refresh (EXG_DIS_4.2/5.2: refresh an environment to a given date within 2 working
 * days; EXG_EVO_36: reference database copies restored on acceptance environments): the source's
 * backup restored to a time in an isolated restore site (./run.ts, with every check of a restore
 * test), then the domain's database of the copy streamed into the target environment's database —
 * `pg_dump -Fc` inside the site, `pg_restore --clean --if-exists --single-transaction` into the
 * target (all replaced or nothing) — and the target's tables fingerprinted against the source's at
 * the mark. The copy never touches a disk outside the site's encrypted store: the dump is a pipe.
 *
 * Production sources are refused by the CLI until pseudonymisation on the way exists; production
 * targets always are (the dataset's refuseProduction: class, data source, production networks).
 */
import { spawn } from 'node:child_process';
import pg from 'pg';
import { commandArgv } from '../lab/command.ts';
import { fingerprintsAndClose, RESTORE_SCHEMA } from './marks.ts';
import { compareTableFingerprints, differencesDetail } from './plan.ts';
import type { RunningCopy } from './run.ts';
import type { RestoreCheck } from './types.ts';

const PG_BIN = '/usr/lib/postgresql/15/bin';

/** Two working days (EXG_DIS_4.2), counted as 2 × 8 working hours. */
export const REFRESH_BOUND_MS = 2 * 8 * 3600_000;

export const REFRESH_TITLES = {
  load: { fr: 'Chargement dans l’environnement cible', en: 'Load into the target environment' },
  hashes: { fr: 'Tables de la cible identiques à la source à l’instant visé', en: 'Target tables equal to the source at the target time' },
  duration: { fr: 'Rafraîchissement dans le délai (2 jours ouvrés)', en: 'Refresh within the bound (2 working days)' },
} as const;

/** The URL without its password, and the password apart (given to pg_restore in its environment, never on a command line). */
export function splitPassword(url: string): { url: string; password?: string } {
  const u = new URL(url);
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  u.password = '';
  return { url: u.toString(), ...(password !== undefined ? { password } : {}) };
}

function run(argv: { file: string; args: string[] }, env: NodeJS.ProcessEnv) {
  return spawn(argv.file, argv.args, { stdio: ['pipe', 'pipe', 'pipe'], env });
}

function exitOf(p: ReturnType<typeof spawn>, stderr: string[]): Promise<number> {
  p.stderr?.on('data', (d: Buffer) => {
    stderr.push(d.toString());
    if (stderr.length > 200) stderr.shift();
  });
  return new Promise((res) => p.on('close', (code) => res(code ?? 1)));
}

const last = (lines: string[]) =>
  lines
    .join('')
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .at(-1)
    ?.slice(0, 300) ?? '';

/**
 * The hook that loads a running copy into `target` (a PostgreSQL URL of the target environment's
 * database; `shown` is how it is printed, password redacted), then compares fingerprints.
 */
export function refreshInto(target: { url: string; shown: string }, log: (l: string) => void = () => undefined) {
  return async (copy: RunningCopy): Promise<RestoreCheck[]> => {
    const t0 = Date.now();
    const dump = run(
      commandArgv({
        netns: copy.netns,
        user: 'postgres',
        command: `${PG_BIN}/pg_dump`,
        args: [
          '-Fc',
          '--no-owner',
          '--no-privileges',
          `--exclude-schema=${RESTORE_SCHEMA}`,
          '-h',
          copy.socketDir,
          '-p',
          String(copy.port),
          '-U',
          'postgres',
          '-d',
          copy.domain,
        ],
      }),
      { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    );
    // The URL's password, else PGPASSWORD (the operator's; ~/.pgpass works too: pg_restore and pg read it).
    const { url, password: inUrl } = splitPassword(target.url);
    const password = inUrl ?? process.env.PGPASSWORD;
    const restore = run(
      { file: `${PG_BIN}/pg_restore`, args: ['--clean', '--if-exists', '--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', '-d', url] },
      { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(password !== undefined ? { PGPASSWORD: password } : {}) },
    );
    let bytes = 0;
    dump.stdout!.on('data', (d: Buffer) => {
      bytes += d.length;
    });
    dump.stdout!.pipe(restore.stdin!);
    const dumpErr: string[] = [];
    const restoreErr: string[] = [];
    const [dc, rc] = await Promise.all([exitOf(dump, dumpErr), exitOf(restore, restoreErr)]);
    const ms = Date.now() - t0;
    log(`refresh: pg_dump exit ${dc}, pg_restore exit ${rc}, ${bytes} bytes in ${(ms / 1000).toFixed(1)} s`);
    const loadEvidence = await copy.addEvidence(
      'refresh-load.log',
      'pg_dump (in the restore site) | pg_restore --single-transaction (into the target): their messages',
      `target: ${target.shown}\ndump bytes: ${bytes}\npg_dump exit ${dc}\n${dumpErr.join('')}\npg_restore exit ${rc}\n${restoreErr.join('')}\n`,
    );
    if (dc !== 0 || rc !== 0) {
      return [
        {
          id: 'refresh.load',
          title: REFRESH_TITLES.load,
          verdict: 'fail',
          detail: `${dc !== 0 ? `pg_dump exit ${dc}: ${last(dumpErr)}` : `pg_restore exit ${rc}: ${last(restoreErr)}`}; the target is unchanged (one transaction)`,
          evidence: loadEvidence,
        },
      ];
    }
    const load: RestoreCheck = {
      id: 'refresh.load',
      title: REFRESH_TITLES.load,
      verdict: 'pass',
      detail: `${copy.domain} loaded into ${target.shown} in one transaction: ${(bytes / 1048576).toFixed(1)} MiB of dump in ${(ms / 1000).toFixed(1)} s`,
      evidence: loadEvidence,
    };
    const client = new pg.Client({ connectionString: url, ...(password !== undefined ? { password } : {}), application_name: 'hdsctl-env-refresh' });
    await client.connect();
    const loaded = await fingerprintsAndClose(client);
    const diffs = compareTableFingerprints(copy.mark.fingerprints, loaded);
    const ev = await copy.addEvidence(
      'refresh-tables.json',
      'per-table row counts and hashes: source at the mark, target after the load, differences',
      `${JSON.stringify({ source: copy.mark.fingerprints, target: loaded, differences: diffs }, null, 2)}\n`,
    );
    return [
      load,
      {
        id: 'refresh.table-hashes',
        title: REFRESH_TITLES.hashes,
        verdict: diffs.length === 0 ? 'pass' : 'fail',
        detail: differencesDetail(diffs, ' in the target', `${Object.keys(loaded).length} tables in the target equal to the source's at the mark`),
        evidence: ev,
      },
    ];
  };
}

/** The duration check of a refresh (EXG_DIS_4.2: within 2 working days). */
export function refreshDurationCheck(startedAt: string, endedAt: string): RestoreCheck {
  const ms = Date.parse(endedAt) - Date.parse(startedAt);
  return {
    id: 'refresh.duration',
    title: REFRESH_TITLES.duration,
    verdict: ms <= REFRESH_BOUND_MS ? 'pass' : 'fail',
    detail: `${(ms / 60_000).toFixed(1)} min, bound ${REFRESH_BOUND_MS / 3600_000} working hours`,
  };
}

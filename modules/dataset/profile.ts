/**
 * Volumes per user: the dataset profile (EXG_ENV_15 "realistic quantities of users, events and
 * documents"). Defaults come from the metrics of the requirement catalog
 * (../shared/requirements/catalog.yaml, reference-topology.yaml `metrics:`); every value can be
 * overridden by a YAML or JSON file given with `--profile FILE`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { isCalendarDate } from '../loader/dates.ts';
import { displayPath } from '../loader/paths.ts';
import { parseYaml } from '../loader/yamlSource.ts';
import { jsonPointer } from '../model/diagnostics.ts';

export interface Profile {
  /** Reference date of the dataset (ages, last events): fixed, so a dataset never depends on the clock. */
  asOf: string;
  /** Years of documents, messages, events and traces before asOf. */
  historyYears: number;
  accounts: {
    /** 8.7 M activated of 66 M accounts (MESDMP-3.5.3-1): 13.18 %. */
    activatedPct: number;
    /** Closed or opposed accounts, May 2023 split (MESDMP-3.1.2-1): 1.9 %. */
    opposedPct: number;
    /** Users without a reliable e-mail address, notified by post (MESDMP-3.1.3.4.6-1): ~25 %. */
    withoutEmailPct: number;
    /** Users living in their département of birth (INSEE censuses: about one in two). */
    sameDepartmentPct: number;
  };
  professionals: {
    /** RPPS professionals per 1,000 inhabitants: ~1.2 M professionals for 68 M people (DREES, démographie des professionnels de santé). */
    perThousandUsers: number;
  };
  documents: {
    /** 400 M documents a year by end 2026 (MESDMP-3.5.3-2) for 66 M accounts: 6.06 per user a year. */
    perUserPerYear: number;
    /** DMP with at least one document, target 2026 (reference-topology metrics dmp_with_at_least_one_document_pct): 65 %. */
    withAnyPct: number;
    /** Documents masked to professionals by the patient. */
    maskedPct: number;
    /** Documents not visible to the patient until an announcement consultation. */
    hiddenFromPatientPct: number;
  };
  consents: {
    /** Users whose record is accessible to professionals, May 2023 split (MESDMP-3.1.2-1): 93 %. */
    accessiblePct: number;
    /** Activated users who blocked at least one professional. */
    blockingPct: number;
    /** Professionals explicitly authorised per activated user. */
    authorisedPerActivatedUser: number;
  };
  messaging: {
    /** 3.5 M messages from professionals a month (run scope §7.7.1) for 66 M mailboxes: 0.64 per user a year. */
    perUserPerYear: number;
    /** Share of messages read by activated users. */
    readPct: number;
  };
  agenda: {
    /** Agenda events per activated user a year (no catalog metric; assumption, see docs/dataset.md). */
    perActivatedUserPerYear: number;
  };
  traces: {
    /** 20 M professional transactions a month (run scope §7.7.1) / 66 M users: 3.64 accesses per user a year. */
    professionalAccessPerUserPerYear: number;
    /** 3 M accounts accessed a month (run scope §7.7.1) / 8.7 M activated: 4.14 per activated user a year. */
    patientAccessPerActivatedUserPerYear: number;
  };
}

const DEFAULT_PROFILE: Profile = {
  asOf: '2025-12-31',
  historyYears: 1,
  accounts: { activatedPct: 13.18, opposedPct: 1.9, withoutEmailPct: 25, sameDepartmentPct: 50 },
  professionals: { perThousandUsers: 17.6 },
  documents: { perUserPerYear: 6.06, withAnyPct: 65, maskedPct: 2, hiddenFromPatientPct: 0.5 },
  consents: { accessiblePct: 93, blockingPct: 3, authorisedPerActivatedUser: 1.5 },
  messaging: { perUserPerYear: 0.64, readPct: 70 },
  agenda: { perActivatedUserPerYear: 2 },
  traces: { professionalAccessPerUserPerYear: 3.64, patientAccessPerActivatedUserPerYear: 4.14 },
};

const pct = { type: 'number', minimum: 0, maximum: 100 };
const rate = { type: 'number', minimum: 0, maximum: 1000 };
const section = (props: Record<string, object>) => ({ type: 'object', additionalProperties: false, properties: props });

const PROFILE_SCHEMA = section({
  asOf: { type: 'string', pattern: '^20[2-3][0-9]-[01][0-9]-[0-3][0-9]$' },
  historyYears: { type: 'number', minimum: 0.1, maximum: 20 },
  accounts: section({ activatedPct: pct, opposedPct: pct, withoutEmailPct: pct, sameDepartmentPct: pct }),
  professionals: section({ perThousandUsers: { type: 'number', minimum: 0.01, maximum: 1000 } }),
  documents: section({ perUserPerYear: rate, withAnyPct: pct, maskedPct: pct, hiddenFromPatientPct: pct }),
  consents: section({ accessiblePct: pct, blockingPct: pct, authorisedPerActivatedUser: rate }),
  messaging: section({ perUserPerYear: rate, readPct: pct }),
  agenda: section({ perActivatedUserPerYear: rate }),
  traces: section({ professionalAccessPerUserPerYear: rate, patientAccessPerActivatedUserPerYear: rate }),
});

const validate = new Ajv({ allErrors: false }).compile(PROFILE_SCHEMA);

/** A bad profile value: where (JSON pointer), what, how to fix it; the message is one line. */
class ProfileError extends Error {
  constructor(
    readonly where: string,
    readonly pointer: string,
    readonly problem: string,
    readonly hint: string,
  ) {
    super(`${where}${pointer === '/' ? '' : pointer}: ${problem} (${hint})`);
  }
}

const PROFILE_HINT = 'see DEFAULT_PROFILE in modules/dataset/profile.ts for the keys';

/** Merges a partial profile over the defaults; throws ProfileError with a one-line message on bad input. */
export function resolveProfile(partial: unknown, where = 'profile'): Profile {
  if (partial === null || partial === undefined) return structuredClone(DEFAULT_PROFILE);
  if (!validate(partial)) {
    const e = validate.errors?.[0];
    const extra = e?.keyword === 'additionalProperties' ? (e.params as { additionalProperty: string }).additionalProperty : undefined;
    const pointer = `${e?.instancePath ?? ''}${extra ? `/${extra}` : ''}` || '/';
    throw new ProfileError(where, pointer, `${e?.message ?? 'invalid'}${extra ? ` "${extra}"` : ''}`, PROFILE_HINT);
  }
  const p = partial as Record<string, unknown>;
  const out = structuredClone(DEFAULT_PROFILE) as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(p)) {
    out[k] = typeof v === 'object' && v !== null ? { ...(out[k] as object), ...(v as object) } : v;
  }
  const r = out as unknown as Profile;
  if (r.accounts.activatedPct + r.accounts.opposedPct > 100) throw new ProfileError(where, '/accounts', 'activatedPct + opposedPct exceed 100', 'lower one of them');
  if (!isCalendarDate(r.asOf)) throw new ProfileError(where, '/asOf', `"${r.asOf}" is not a calendar date`, 'use YYYY-MM-DD, e.g. asOf: 2025-12-31');
  return r;
}

/** Reads a profile file; every problem is one line `file:line:col /pointer: message (hint)`. */
export function loadProfile(file: string | undefined): Profile {
  if (!file) return resolveProfile(undefined);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`--profile: "${file}" cannot be read; give a YAML or JSON file (see docs/dataset.md)`);
  }
  const src = parseYaml(file, text);
  const first = src.syntaxErrors[0];
  if (first) throw new Error(`${displayPath(file)}:${first.position.line}:${first.position.col} ${jsonPointer(first.path)}: ${first.message} (${first.hint})`);
  try {
    return resolveProfile(src.data, file);
  } catch (e) {
    if (!(e instanceof ProfileError)) throw e;
    const path = e.pointer === '/' ? [] : e.pointer.slice(1).split('/').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    const { line, col } = src.locate(path);
    throw new Error(`${displayPath(file)}:${line}:${col} ${e.pointer}: ${e.problem} (${e.hint})`);
  }
}

/** Canonical hash of a profile (sorted keys), recorded in manifests: a resume must use the same profile. */
export function profileHash(p: Profile): string {
  const canon = (v: unknown): unknown =>
    v && typeof v === 'object' ? Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])])) : v;
  return createHash('sha256').update(JSON.stringify(canon(p))).digest('hex').slice(0, 16);
}

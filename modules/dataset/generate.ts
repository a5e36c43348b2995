/**
 * The row generator: every row of a user (account, identity, contact, documents, consents,
 * authorisations, mailbox, messages, agenda events, access traces) comes from that user's own
 * random stream, seeded by (dataset seed, user id), and every row of a health professional from
 * (seed, professional id). Child ids derive from the owner id (owner × 10,000 + sequence).
 * So a row never depends on which worker, shard or chunk produces it (EXG_ENV_15), and
 * references always point at entities that exist: professional ids are drawn in 1..P, document
 * ids of a user among the documents generated for that user.
 */
import { birthOf } from './births.ts';
import { dateText, dayOf, dayOfIso, daysInMonth, timestampText, yearOf } from './calendar.ts';
import { AGE_PYRAMID, DEPARTEMENT_ALIAS, DEPARTEMENTS, type Departement } from './demography.ts';
import { INS_NIR_OID, idnps, makeNir, makeRpps, patientMailbox } from './identifiers.ts';
import { DOUBLE_SURNAME_FROM_YEAR, DOUBLE_SURNAME_SHARE, FIRST_NAMES, firstNameTable, SURNAME_ALIAS, SURNAME_TABLE } from './names.ts';
import type { Profile } from './profile.ts';
import { Rng, STREAM, type Seed } from './rng.ts';
import { CHILD_ID_FACTOR, MAX_CHILDREN, T } from './tables.ts';
import {
  AGENDA_KINDS,
  DOCUMENT_TYPE_ALIAS,
  DOCUMENT_TYPES,
  EMAIL_PROVIDER_ALIAS,
  EMAIL_PROVIDERS,
  FORMAT_ALIAS,
  FORMATS,
  GENERAL_PRACTICE_SLOTS,
  MESSAGE_SUBJECTS,
  PROFESSION_BY_RESIDUE,
  PROFESSIONS,
  SPECIALTY_BY_SLOT,
  STREETS,
} from './vocabulary.ts';

export type Value = string | number | boolean | null;

/** Receives rows; `table` is an index into TABLES, values follow its columns. */
export interface RowSink {
  row(table: number, values: Value[]): void;
}

/** What identifies a dataset: same spec, same rows. */
export interface DatasetSpec {
  seed: Seed;
  /** Users of this run: ids firstUser .. firstUser + users − 1. */
  firstUser: number;
  users: number;
  /** Professionals of the dataset: ids 1..professionals (shared by appended runs). */
  professionals: number;
  profile: Profile;
}

/** Professionals for a number of users (profile ratio, at least 100 so every profession exists). */
export function professionalsFor(users: number, profile: Profile): number {
  return Math.max(100, Math.round((users * profile.professionals.perThousandUsers) / 1000));
}

/** Relative use of care by age (more documents for the elderly; assumption from DREES care-consumption profiles). */
function careFactor(age: number): number {
  return age < 15 ? 0.6 : age < 45 ? 0.8 : age < 65 ? 1.1 : age < 80 ? 1.7 : 2.2;
}

const PRO_FEMALE_PCT = PROFESSIONS.map((p) => p[4]);
const SECOND = 86_400;

export class Generator {
  private readonly rng = new Rng();
  private readonly asOf: number;
  private readonly asOfYear: number;
  private readonly historyStart: number;
  private readonly historyDays: number;
  private readonly docBase: number;
  private readonly p: Profile;
  private readonly opposedCut: number;
  private readonly activatedCut: number;
  private readonly generalisationStart = dayOf(2022, 1, 3);
  /** Document ids of the current user, for messages and traces that refer to them. */
  private docIds: number[] = [];
  /** Index of the first given name drawn by the last firstNames() call. */
  private firstIndex = 0;

  constructor(readonly spec: DatasetSpec) {
    this.p = spec.profile;
    this.asOf = dayOfIso(this.p.asOf);
    this.asOfYear = yearOf(this.asOf);
    this.historyDays = Math.max(1, Math.round(this.p.historyYears * 365.25));
    this.historyStart = this.asOf - this.historyDays + 1;
    let total = 0;
    let weighted = 0;
    for (const [lower, m, f] of AGE_PYRAMID) {
      for (let a = lower; a < lower + 5; a++) {
        total += m + f;
        weighted += (m + f) * careFactor(a);
      }
    }
    const meanFactor = weighted / total;
    const withAny = Math.max(0.001, this.p.documents.withAnyPct / 100);
    this.docBase = (this.p.documents.perUserPerYear * this.p.historyYears) / (withAny * meanFactor);
    this.opposedCut = this.p.accounts.opposedPct / 100;
    this.activatedCut = this.opposedCut + this.p.accounts.activatedPct / 100;
  }

  private ts(day: number): string {
    return timestampText(day, 28_800 + this.rng.int(43_200));
  }

  private tsAnyTime(day: number): string {
    return timestampText(day, this.rng.int(SECOND));
  }

  private surname(): number {
    return this.rng.alias(SURNAME_ALIAS);
  }

  /** A professional id whose id mod 100 is in [lo, hi] (a profession), uniform over those ≤ P. */
  private pro(lo: number, hi: number): number {
    const n = this.spec.professionals;
    const r = lo + this.rng.int(hi - lo + 1);
    const qMax = Math.floor((n - r) / 100);
    if (qMax < 0) return 1 + this.rng.int(n);
    const q = this.rng.int(qMax + 1);
    const id = q * 100 + r;
    return id === 0 ? (n >= 100 ? 100 : 1) : id;
  }

  /** A general practitioner (doctor with specialty slot < 44), any doctor when P is too small. */
  private generalPractitioner(): number {
    const n = this.spec.professionals;
    const r = this.rng.int(21);
    const qMax = Math.floor((n - r) / 100);
    const blocks = Math.floor(qMax / 100);
    if (blocks < 1) return this.pro(0, 20);
    const q = this.rng.int(blocks) * 100 + this.rng.int(GENERAL_PRACTICE_SLOTS);
    const id = q * 100 + r;
    return id === 0 ? 100 : id;
  }

  private anyPro(): number {
    return 1 + this.rng.int(this.spec.professionals);
  }

  private firstNames(sex: 1 | 2, year: number): string {
    const table = sex === 1 ? FIRST_NAMES.male : FIRST_NAMES.female;
    const cum = firstNameTable(sex, year);
    const first = this.rng.alias(cum);
    this.firstIndex = first;
    let out = table.names[first]!;
    if (this.rng.chance(0.6)) {
      out += ` ${table.names[this.rng.alias(cum)]}`;
      if (this.rng.chance(0.3)) out += ` ${table.names[this.rng.alias(cum)]}`;
    }
    return out;
  }

  /**
   * Emits every row of user `id`; with `accountsOnly`, stops after the accounts rows (users,
   * identities, contacts), which come first in the user's stream and are therefore unchanged.
   */
  user(id: number, sink: RowSink, accountsOnly = false): void {
    const rng = this.rng.reset(this.spec.seed, STREAM.user, id);
    const p = this.p;
    const uid = String(id); // converted once, used in every row
    const asOf = this.asOf;

    // Identity: sex, age, birth place and NIR order come from the birth cell (unique NIR).
    const b = birthOf(this.spec.seed, id);
    const birthYear = this.asOfYear - b.age;
    let birthDay = dayOf(birthYear, b.month, 1 + rng.int(daysInMonth(birthYear, b.month)));
    if (birthDay > asOf) birthDay = asOf - rng.int(28);
    const ins = makeNir(b.sex, birthYear, b.nirMonth, b.place, b.order);

    const fam = this.surname();
    let familyName = SURNAME_TABLE.names[fam]!;
    let familyAscii = SURNAME_TABLE.ascii[fam]!;
    if (birthYear >= DOUBLE_SURNAME_FROM_YEAR && rng.chance(DOUBLE_SURNAME_SHARE)) {
      const second = this.surname();
      if (second !== fam) {
        familyName += `-${SURNAME_TABLE.names[second]}`;
        familyAscii += `-${SURNAME_TABLE.ascii[second]}`;
      }
    }
    const usedName = b.sex === 2 && b.age >= 25 && rng.chance(0.55) ? SURNAME_TABLE.names[this.surname()]! : null;
    const firstNames = this.firstNames(b.sex, birthYear);
    const space = firstNames.indexOf(' ');
    const firstName = space < 0 ? firstNames : firstNames.slice(0, space);

    // Account status and dates: accounts created by opt-out in the 2022 generalisation, newborns after.
    const u = rng.float();
    const status = u < this.opposedCut ? 'opposed' : u < this.activatedCut ? 'activated' : 'created';
    const enrolledDay = Math.min(asOf, birthDay < this.generalisationStart ? this.generalisationStart + rng.int(120) : birthDay + 30 + rng.int(60));
    const span = Math.max(1, asOf - enrolledDay + 1);
    const enrolled = this.ts(enrolledDay);
    const activatedDay = status === 'activated' ? enrolledDay + rng.int(span) : -1;
    const closed = status === 'opposed' ? this.ts(enrolledDay + rng.int(Math.min(span, 42))) : null;
    sink.row(T.users, [uid, ins, status, enrolled, activatedDay >= 0 ? this.ts(activatedDay) : null, closed]);
    sink.row(T.identities, [uid, ins, INS_NIR_OID, familyName, usedName, firstNames, firstName, b.sex === 1 ? 'M' : 'F', dateText(birthDay), b.place, b.country]);

    // Contact and preferences.
    const home: Departement = b.departement && rng.chance(p.accounts.sameDepartmentPct / 100) ? b.departement : DEPARTEMENTS[rng.alias(DEPARTEMENT_ALIAS)]!;
    const adult = b.age >= 18;
    let email: string | null = null;
    if (!rng.chance(p.accounts.withoutEmailPct / 100)) {
      const local = `${(b.sex === 1 ? FIRST_NAMES.male : FIRST_NAMES.female).ascii[this.firstIndex]}.${familyAscii}`;
      const suffix = rng.chance(0.4) ? String(rng.range(1, 99)) : '';
      email = `${local}${suffix}@${EMAIL_PROVIDERS[rng.alias(EMAIL_PROVIDER_ALIAS)]![0]}`;
    }
    const mobile = adult || rng.chance(0.3) ? (rng.chance(0.9) ? `0${rng.chance(0.7) ? 6 : 7}${String(rng.int(100_000_000)).padStart(8, '0')}` : null) : null;
    const channel = email ? 'email' : mobile ? 'sms' : 'post';
    sink.row(T.contacts, [
      uid,
      email,
      mobile,
      `${rng.range(1, 150)} ${STREETS[rng.int(STREETS.length)]}`,
      home.postcode,
      home.seatName,
      home.code,
      channel,
      'fr',
      rng.chance(0.35),
    ]);
    if (accountsOnly) return;

    const opposed = status === 'opposed';
    const activated = status === 'activated';
    const gp = this.generalPractitioner();
    const accessible = !opposed && rng.chance(p.consents.accessiblePct / 100);

    // Consents (EXG_ENV_15: consents and access authorisations).
    const decided = activated ? this.ts(activatedDay) : enrolled;
    sink.row(T.consents, [uid, 'emergency_access', opposed || rng.chance(0.02) ? 'refused' : 'granted', decided]);
    sink.row(T.consents, [uid, 'medical_regulation_access', opposed || rng.chance(0.03) ? 'refused' : 'granted', decided]);
    sink.row(T.consents, [uid, 'professional_access', accessible ? 'granted' : 'refused', decided]);

    // Documents: none for opposed accounts; otherwise a share of users has any, more with age.
    this.docIds.length = 0;
    let seq = 0;
    const base = id * CHILD_ID_FACTOR;
    if (!opposed && rng.chance(p.documents.withAnyPct / 100)) {
      const mean = this.docBase * careFactor(b.age);
      const count = Math.min(MAX_CHILDREN, 1 + rng.geometric(Math.max(0, mean - 1)));
      const firstDay = Math.max(this.historyStart, birthDay);
      const window = Math.max(1, asOf - firstDay + 1);
      for (let i = 0; i < count; i++) {
        const docId = base + ++seq;
        this.docIds.push(docId);
        const type = DOCUMENT_TYPES[rng.alias(DOCUMENT_TYPE_ALIAS)]!;
        const fmt = FORMATS[type[2] === 'REMB' ? 0 : rng.alias(FORMAT_ALIAS)]!;
        const author = type[2] === 'PRESC' || rng.chance(0.45) ? gp : rng.chance(0.6) ? this.pro(0, 20) : rng.chance(0.5) ? this.pro(21, 27) : this.pro(34, 90);
        const size = Math.max(200, Math.round(fmt[3] * Math.exp(0.8 * rng.normal())));
        const day = firstDay + rng.int(window);
        const created = this.ts(day);
        const submitted = this.ts(Math.min(asOf, day + rng.int(3)));
        const masked = rng.chance(p.documents.maskedPct / 100);
        const hidden = rng.chance(p.documents.hiddenFromPatientPct / 100);
        const st = rng.chance(0.01) ? 'archived' : rng.chance(0.005) ? 'deleted' : 'current';
        sink.row(T.documents, [docId, uid, author, type[0], type[1], type[2], fmt[0], fmt[1], size, `${type[4]} du ${dateText(day)}`, created, submitted, masked, hidden, st]);
        sink.row(T.access_traces, [base + seq, uid, 'professional', author, 'deposit', docId, submitted, 'lps']);
      }
    }
    let traceSeq = seq;

    // Access authorisations: the treating doctor and a few others; some users block professionals.
    let authSeq = 0;
    if (activated) {
      const authorised = Math.min(50, rng.poisson(p.consents.authorisedPerActivatedUser));
      for (let i = 0; i < authorised; i++) sink.row(T.authorisations, [base + ++authSeq, uid, i === 0 ? gp : this.anyPro(), 'authorised', this.ts(activatedDay + rng.int(asOf - activatedDay + 1))]);
      if (rng.chance(p.consents.blockingPct / 100)) {
        const blocked = 1 + rng.poisson(0.3);
        for (let i = 0; i < blocked; i++) sink.row(T.authorisations, [base + ++authSeq, uid, this.anyPro(), 'blocked', this.ts(activatedDay + rng.int(asOf - activatedDay + 1))]);
      }
    }

    // Secure messaging: a mailbox for every non-opposed user (MESDMP-3.1.3.4.7.3-1), messages from professionals.
    if (!opposed) {
      sink.row(T.mailboxes, [uid, patientMailbox(ins), enrolled, true]);
      const count = Math.min(MAX_CHILDREN, rng.poisson(p.messaging.perUserPerYear * p.historyYears));
      const window = Math.max(1, asOf - Math.max(enrolledDay, this.historyStart) + 1);
      const from = Math.max(enrolledDay, this.historyStart);
      for (let i = 0; i < count; i++) {
        const day = from + rng.int(window);
        const sent = this.ts(day);
        const read = activated && rng.chance(p.messaging.readPct / 100) ? this.tsAnyTime(Math.min(asOf, day + rng.int(10))) : null;
        const attachment = this.docIds.length > 0 && rng.chance(0.3) ? this.docIds[rng.int(this.docIds.length)]! : null;
        sink.row(T.messages, [base + i + 1, uid, rng.chance(0.4) ? gp : this.anyPro(), MESSAGE_SUBJECTS[rng.int(MESSAGE_SUBJECTS.length)]!, sent, read, attachment]);
      }
    }

    // Agenda (activated users use it; no catalog metric, see the profile).
    if (activated) {
      const count = Math.min(MAX_CHILDREN, rng.poisson(p.agenda.perActivatedUserPerYear * p.historyYears));
      for (let i = 0; i < count; i++) {
        const kind = AGENDA_KINDS[rng.int(AGENDA_KINDS.length)]!;
        const day = this.historyStart + rng.int(this.historyDays + 90);
        const st = day > asOf ? 'planned' : rng.chance(0.08) ? 'cancelled' : 'done';
        sink.row(T.events, [base + i + 1, uid, kind[2] ? (rng.chance(0.6) ? gp : this.anyPro()) : null, kind[0], kind[1], this.ts(day), st]);
      }
    }

    // Access traces: professionals consulting accessible records, patients using their space.
    if (accessible && this.docIds.length > 0) {
      const count = Math.min(MAX_CHILDREN - traceSeq, rng.poisson(p.traces.professionalAccessPerUserPerYear * p.historyYears));
      for (let i = 0; i < count; i++) {
        const doc = this.docIds[rng.int(this.docIds.length)]!;
        sink.row(T.access_traces, [base + ++traceSeq, uid, 'professional', rng.chance(0.5) ? gp : this.anyPro(), 'consult', doc, this.ts(this.historyStart + rng.int(this.historyDays)), rng.chance(0.8) ? 'lps' : 'web-ps']);
      }
    }
    if (activated) {
      const count = Math.min(MAX_CHILDREN - traceSeq, rng.poisson(p.traces.patientAccessPerActivatedUserPerYear * p.historyYears));
      const window = Math.max(1, asOf - activatedDay + 1);
      for (let i = 0; i < count; i++) {
        const doc = this.docIds.length > 0 && rng.chance(0.6) ? this.docIds[rng.int(this.docIds.length)]! : null;
        sink.row(T.access_traces, [base + ++traceSeq, uid, 'patient', null, doc ? (rng.chance(0.2) ? 'download' : 'consult') : 'login', doc, this.tsAnyTime(activatedDay + rng.int(window)), rng.chance(0.65) ? 'app' : 'web']);
      }
    }
  }

  /** Emits the row of professional `id` (1..P). */
  professional(id: number, sink: RowSink): void {
    const rng = this.rng.reset(this.spec.seed, STREAM.professional, id);
    const prof = PROFESSIONS[PROFESSION_BY_RESIDUE[id % 100]!]!;
    const sex: 1 | 2 = rng.chance(PRO_FEMALE_PCT[PROFESSION_BY_RESIDUE[id % 100]!]! / 100) ? 2 : 1;
    const age = rng.range(25, 69);
    const year = this.asOfYear - age;
    const fam = this.surname();
    const table = sex === 1 ? FIRST_NAMES.male : FIRST_NAMES.female;
    const first = rng.alias(firstNameTable(sex, year));
    const specialty = prof[0] === '10' ? SPECIALTY_BY_SLOT[Math.floor(id / 100) % 100]! : null;
    const d = DEPARTEMENTS[rng.alias(DEPARTEMENT_ALIAS)]!;
    const rpps = makeRpps(id);
    sink.row(T.professionals, [
      id,
      rpps,
      idnps(rpps),
      SURNAME_TABLE.names[fam]!,
      table.names[first]!,
      sex === 1 ? 'M' : 'F',
      prof[0],
      prof[1],
      specialty,
      d.code,
      d.seatName,
      d.postcode,
      `${table.ascii[first]}.${SURNAME_TABLE.ascii[fam]}@${prof[5]}.mssante.fr`,
    ]);
  }
}

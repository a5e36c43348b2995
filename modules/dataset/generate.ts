/**
 * The row generator: every row of a user (account, identity, contact, documents, consents,
 * authorisations, mailbox, messages, agenda events, access traces) comes from that user's own
 * random stream, seeded by (dataset seed, user id), and every row of a health professional from
 * (seed, professional id). Child ids derive from the owner id (owner × 10,000 + sequence).
 * So a row never depends on which worker, shard or chunk produces it (EXG_ENV_15), and
 * references always point at entities that exist: professional ids are drawn in 1..P, document
 * ids of a user among the documents generated for that user.
 */
import { birthsInto, CODE_BYTES, MAX_USER_ID, newBirthBatch, PLACE_COUNTRY, PLACE_DEPARTEMENT } from './births.ts';
import { DAY_ASCII, dayOf, dayOfIso, daysInMonth, yearOf } from './calendar.ts';
import { AGE_PYRAMID, DEPARTEMENT_ALIAS, DEPARTEMENTS } from './demography.ts';
import { type RowOut, type RowSink, ValueRows, Words } from './encode.ts';
import { INS_NIR_OID, idnps, makeRpps, patientMailbox } from './identifiers.ts';
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

export type { RowSink };

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
/** Pieces of text written after a value (precomputed so the generator does not concatenate). */
const EMAIL_AT = EMAIL_PROVIDERS.map((e) => `@${e[0]}`);
const STREET_AFTER_NUMBER = STREETS.map((s) => ` ${s}`);
const MAILBOX_DOMAIN = '@patient.mssante.fr';
if (patientMailbox('') !== MAILBOX_DOMAIN) throw new Error('generate: patientMailbox changed, update MAILBOX_DOMAIN');

// Pre-encoded vocabularies (the COPY encoder copies their bytes; value arrays get the strings).
const SURNAME_W = new Words(SURNAME_TABLE.names);
const SURNAME_ASCII_W = new Words(SURNAME_TABLE.ascii);
const FIRST_W = [new Words(FIRST_NAMES.male.names), new Words(FIRST_NAMES.female.names)] as const;
const FIRST_ASCII_W = [new Words(FIRST_NAMES.male.ascii), new Words(FIRST_NAMES.female.ascii)] as const;
const COUNTRY_W = new Words(PLACE_COUNTRY);
const DEP_POSTCODE_W = new Words(DEPARTEMENTS.map((d) => d.postcode));
const DEP_CITY_W = new Words(DEPARTEMENTS.map((d) => d.seatName));
const DEP_CODE_W = new Words(DEPARTEMENTS.map((d) => d.code));
const EMAIL_AT_W = new Words(EMAIL_AT);
const STREET_W = new Words(STREET_AFTER_NUMBER);
const DOC_CODE_W = new Words(DOCUMENT_TYPES.map((d) => d[0]));
const DOC_LABEL_W = new Words(DOCUMENT_TYPES.map((d) => d[1]));
const DOC_CLASS_W = new Words(DOCUMENT_TYPES.map((d) => d[2]));
const DOC_TITLE_W = new Words(DOCUMENT_TYPES.map((d) => `${d[4]} du `));
const FORMAT_W = new Words(FORMATS.map((f) => f[0]));
const MIME_W = new Words(FORMATS.map((f) => f[1]));
const SUBJECT_W = new Words(MESSAGE_SUBJECTS);
const AGENDA_KIND_W = new Words(AGENDA_KINDS.map((k) => k[0]));
const AGENDA_TITLE_W = new Words(AGENDA_KINDS.map((k) => k[1]));
const CONSTANTS = [
  INS_NIR_OID, 'created', 'activated', 'opposed', 'M', 'F', 'email', 'sms', 'post', 'fr', '-', ' ', '.', '06', '07', MAILBOX_DOMAIN,
  'emergency_access', 'medical_regulation_access', 'professional_access', 'refused', 'granted', 'archived', 'deleted', 'current',
  'professional', 'deposit', 'lps', 'web-ps', 'authorised', 'blocked', 'planned', 'cancelled', 'done', 'consult', 'patient',
  'download', 'login', 'app', 'web',
] as const;
const K_W = new Words(CONSTANTS);
const CODE_VIEW = new DataView(CODE_BYTES.buffer);
type Constant = (typeof CONSTANTS)[number];
const K = Object.fromEntries(CONSTANTS.map((c, i) => [c, i])) as Record<Constant, number>;
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
  private readonly sameDepartmentP: number;
  private readonly withoutEmailP: number;
  private readonly activatedCut: number;
  private readonly generalisationStart = dayOf(2022, 1, 3);
  /** Document ids of the current user, for messages and traces that refer to them. */
  private docIds: number[] = [];
  /** Given names (indices) drawn by the last firstNames() call. */
  private readonly given = new Int32Array(3);
  /** The current user's INS-NIR, 15 ASCII bytes. */
  private readonly nir = new Uint8Array(16);
  private readonly nirView = new DataView(this.nir.buffer);
  /** Birth cells of users batchFirst .. batchEnd − 1, computed together (see birthsInto). */
  private readonly births = newBirthBatch(64);
  private batchFirst = 0;
  private batchEnd = 0;
  /** Adapter for callers that pass a RowSink (value arrays) instead of a RowOut. */
  private values: ValueRows | null = null;

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
    this.sameDepartmentP = this.p.accounts.sameDepartmentPct / 100;
    this.withoutEmailP = this.p.accounts.withoutEmailPct / 100;
    this.activatedCut = this.opposedCut + this.p.accounts.activatedPct / 100;
  }

  /** Second of the day of a daytime timestamp (08:00–20:00). */
  private sec(): number {
    return 28_800 + this.rng.int(43_200);
  }

  private anySec(): number {
    return this.rng.int(SECOND);
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

  /** Draws one to three given names (indices into the sex's table) into this.given; returns how many. */
  private firstNames(sex: 1 | 2, year: number): number {
    const cum = firstNameTable(sex, year);
    const g = this.given;
    g[0] = this.rng.alias(cum);
    if (!this.rng.chance(0.6)) return 1;
    g[1] = this.rng.alias(cum);
    if (!this.rng.chance(0.3)) return 2;
    g[2] = this.rng.alias(cum);
    return 3;
  }

  /** Writes the 15 characters of the INS-NIR into this.nir (see makeNir). */
  private nirBytes(sex: 1 | 2, year: number, month: number, code: number, order: number): void {
    const b = this.nir;
    const yy = year % 100;
    b[0] = 48 + sex;
    b[1] = 48 + ((yy / 10) | 0);
    b[2] = 48 + (yy % 10);
    b[3] = 48 + ((month / 10) | 0);
    b[4] = 48 + (month % 10);
    const c = code * 8;
    for (let k = 0; k < 5; k++) b[5 + k] = CODE_BYTES[c + k]!;
    b[10] = 48 + ((order / 100) | 0);
    b[11] = 48 + (((order / 10) | 0) % 10);
    b[12] = 48 + (order % 10);
    // 97 − (the 13-digit number mod 97), summed part by part in integers (10^12, 10^10, 10^8 mod 97 = 50, 49, 81).
    const key = 97 - ((sex * 50 + yy * 49 + month * 81 + CODE_BYTES[c + 5]! + order) % 97);
    b[13] = 48 + ((key / 10) | 0);
    b[14] = 48 + (key % 10);
  }

  private rowOut(sink: RowOut | RowSink): RowOut {
    if (typeof (sink as RowOut).end === 'function') return sink as RowOut;
    if (this.values?.sink !== sink) this.values = new ValueRows(sink as RowSink);
    return this.values;
  }

  /**
   * Emits every row of user `id`; with `accountsOnly`, stops after the accounts rows (users,
   * identities, contacts), which come first in the user's stream and are therefore unchanged.
   */
  user(id: number, sink: RowOut | RowSink, accountsOnly = false): void {
    const out = this.rowOut(sink);
    const rng = this.rng.reset(this.spec.seed, STREAM.user, id);
    const p = this.p;
    const asOf = this.asOf;

    // Identity: sex, age, birth place and NIR order come from the birth cell (unique NIR).
    const b = this.births;
    if (id < this.batchFirst || id >= this.batchEnd) {
      const n = Math.min(b.size, MAX_USER_ID - id + 1);
      birthsInto(this.spec.seed, id, n, b);
      this.batchFirst = id;
      this.batchEnd = id + n;
      // Bring the text of the birth months into cache for the whole batch (independent loads).
      let t = 0;
      for (let i = 0; i < n; i++) {
        const at = dayOf(this.asOfYear - b.age[i]!, b.month[i]!, 1) * 12;
        for (let o = 0; o < 372; o += 64) t += DAY_ASCII[at + o]!;
      }
      b.touched += t;
    }
    const k = id - this.batchFirst;
    const sex = b.sex[k] as 1 | 2;
    const age = b.age[k]!;
    const month = b.month[k]!;
    const code = b.code[k]!;
    const place = b.place[k]!;
    const birthYear = this.asOfYear - age;
    let birthDay = dayOf(birthYear, month, 1 + rng.int(daysInMonth(birthYear, month)));
    if (birthDay > asOf) birthDay = asOf - rng.int(28);
    this.nirBytes(sex, birthYear, b.nirMonth[k]!, code, b.order[k]!);
    const nir = this.nirView;

    const fam = this.surname();
    let fam2 = -1;
    if (birthYear >= DOUBLE_SURNAME_FROM_YEAR && rng.chance(DOUBLE_SURNAME_SHARE)) {
      const second = this.surname();
      if (second !== fam) fam2 = second;
    }
    const used = sex === 2 && age >= 25 && rng.chance(0.55) ? this.surname() : -1;
    const givenCount = this.firstNames(sex, birthYear);
    const given = this.given;
    const firstWords = FIRST_W[sex - 1]!;

    // Account status and dates: accounts created by opt-out in the 2022 generalisation, newborns after.
    const u = rng.float();
    const opposed = u < this.opposedCut;
    const activated = !opposed && u < this.activatedCut;
    const enrolledDay = Math.min(asOf, birthDay < this.generalisationStart ? this.generalisationStart + rng.int(120) : birthDay + 30 + rng.int(60));
    const span = Math.max(1, asOf - enrolledDay + 1);
    const enrolledSec = this.sec();
    const activatedDay = activated ? enrolledDay + rng.int(span) : -1;
    const closedDay = opposed ? enrolledDay + rng.int(Math.min(span, 42)) : -1;
    const closedSec = opposed ? this.sec() : 0;
    const activatedSec = activated ? this.sec() : 0;
    out.row(T.users);
    out.id(id);
    out.ascii(nir, 0, 15);
    out.word(K_W, opposed ? K.opposed : activated ? K.activated : K.created);
    out.ts(enrolledDay, enrolledSec);
    if (activated) out.ts(activatedDay, activatedSec);
    else out.nul();
    if (opposed) out.ts(closedDay, closedSec);
    else out.nul();
    out.end();

    out.row(T.identities);
    out.id(id);
    out.ascii(nir, 0, 15);
    out.word(K_W, K[INS_NIR_OID]);
    out.word(SURNAME_W, fam);
    if (fam2 >= 0) {
      out.addWord(K_W, K['-']);
      out.addWord(SURNAME_W, fam2);
    }
    if (used >= 0) out.word(SURNAME_W, used);
    else out.nul();
    out.word(firstWords, given[0]!);
    for (let i = 1; i < givenCount; i++) {
      out.addWord(K_W, K[' ']);
      out.addWord(firstWords, given[i]!);
    }
    out.word(firstWords, given[0]!);
    out.word(K_W, sex === 1 ? K.M : K.F);
    out.date(birthDay);
    out.ascii(CODE_VIEW, code * 8, 5);
    out.word(COUNTRY_W, place);
    out.end();

    // Contact and preferences.
    const birthDep = PLACE_DEPARTEMENT[place]!;
    const home = birthDep >= 0 && rng.chance(this.sameDepartmentP) ? birthDep : rng.alias(DEPARTEMENT_ALIAS);
    const adult = age >= 18;
    const hasEmail = !rng.chance(this.withoutEmailP);
    let suffix = 0;
    let provider = 0;
    if (hasEmail) {
      suffix = rng.chance(0.4) ? rng.range(1, 99) : 0;
      provider = rng.alias(EMAIL_PROVIDER_ALIAS);
    }
    let mobile = -1;
    let mobilePrefix = 0;
    if ((adult || rng.chance(0.3)) && rng.chance(0.9)) {
      mobilePrefix = rng.chance(0.7) ? K['06'] : K['07'];
      mobile = rng.int(100_000_000);
    }
    out.row(T.contacts);
    out.id(id);
    if (hasEmail) {
      out.word(FIRST_ASCII_W[sex - 1]!, given[0]!);
      out.addWord(K_W, K['.']);
      out.addWord(SURNAME_ASCII_W, fam);
      if (fam2 >= 0) {
        out.addWord(K_W, K['-']);
        out.addWord(SURNAME_ASCII_W, fam2);
      }
      if (suffix > 0) out.addInt(suffix);
      out.addWord(EMAIL_AT_W, provider);
    } else out.nul();
    if (mobile >= 0) {
      out.word(K_W, mobilePrefix);
      out.addPad(mobile, 8);
    } else out.nul();
    out.int(rng.range(1, 150));
    out.addWord(STREET_W, rng.int(STREETS.length));
    out.word(DEP_POSTCODE_W, home);
    out.word(DEP_CITY_W, home);
    out.word(DEP_CODE_W, home);
    out.word(K_W, hasEmail ? K.email : mobile >= 0 ? K.sms : K.post);
    out.word(K_W, K.fr);
    out.bool(rng.chance(0.35));
    out.end();
    if (accountsOnly) return;

    const gp = this.generalPractitioner();
    const accessible = !opposed && rng.chance(p.consents.accessiblePct / 100);

    // Consents (EXG_ENV_15: consents and access authorisations).
    const decidedDay = activated ? activatedDay : enrolledDay;
    const decidedSec = activated ? this.sec() : enrolledSec;
    out.row(T.consents);
    out.id(id);
    out.word(K_W, K.emergency_access);
    out.word(K_W, opposed || rng.chance(0.02) ? K.refused : K.granted);
    out.ts(decidedDay, decidedSec);
    out.end();
    out.row(T.consents);
    out.id(id);
    out.word(K_W, K.medical_regulation_access);
    out.word(K_W, opposed || rng.chance(0.03) ? K.refused : K.granted);
    out.ts(decidedDay, decidedSec);
    out.end();
    out.row(T.consents);
    out.id(id);
    out.word(K_W, K.professional_access);
    out.word(K_W, accessible ? K.granted : K.refused);
    out.ts(decidedDay, decidedSec);
    out.end();

    // Documents: none for opposed accounts; otherwise a share of users has any, more with age.
    const docIds = this.docIds;
    docIds.length = 0;
    let seq = 0;
    const base = id * CHILD_ID_FACTOR;
    if (!opposed && rng.chance(p.documents.withAnyPct / 100)) {
      const mean = this.docBase * careFactor(age);
      const count = Math.min(MAX_CHILDREN, 1 + rng.geometric(Math.max(0, mean - 1)));
      const firstDay = Math.max(this.historyStart, birthDay);
      const window = Math.max(1, asOf - firstDay + 1);
      for (let i = 0; i < count; i++) {
        const docId = base + ++seq;
        docIds.push(docId);
        const ti = rng.alias(DOCUMENT_TYPE_ALIAS);
        const type = DOCUMENT_TYPES[ti]!;
        const fi = type[2] === 'REMB' ? 0 : rng.alias(FORMAT_ALIAS);
        const fmt = FORMATS[fi]!;
        const author = type[2] === 'PRESC' || rng.chance(0.45) ? gp : rng.chance(0.6) ? this.pro(0, 20) : rng.chance(0.5) ? this.pro(21, 27) : this.pro(34, 90);
        const size = Math.max(200, Math.round(fmt[3] * Math.exp(0.8 * rng.normal())));
        const day = firstDay + rng.int(window);
        const createdSec = this.sec();
        const submittedDay = Math.min(asOf, day + rng.int(3));
        const submittedSec = this.sec();
        const masked = rng.chance(p.documents.maskedPct / 100);
        const hidden = rng.chance(p.documents.hiddenFromPatientPct / 100);
        const st = rng.chance(0.01) ? K.archived : rng.chance(0.005) ? K.deleted : K.current;
        out.row(T.documents);
        out.int(docId);
        out.id(id);
        out.int(author);
        out.word(DOC_CODE_W, ti);
        out.word(DOC_LABEL_W, ti);
        out.word(DOC_CLASS_W, ti);
        out.word(FORMAT_W, fi);
        out.word(MIME_W, fi);
        out.int(size);
        out.word(DOC_TITLE_W, ti);
        out.addDate(day);
        out.ts(day, createdSec);
        out.ts(submittedDay, submittedSec);
        out.bool(masked);
        out.bool(hidden);
        out.word(K_W, st);
        out.end();
        out.row(T.access_traces);
        out.int(base + seq);
        out.id(id);
        out.word(K_W, K.professional);
        out.int(author);
        out.word(K_W, K.deposit);
        out.int(docId);
        out.ts(submittedDay, submittedSec);
        out.word(K_W, K.lps);
        out.end();
      }
    }
    let traceSeq = seq;

    // Access authorisations: the treating doctor and a few others; some users block professionals.
    let authSeq = 0;
    if (activated) {
      const authorised = Math.min(50, rng.poisson(p.consents.authorisedPerActivatedUser));
      for (let i = 0; i < authorised; i++) {
        out.row(T.authorisations);
        out.int(base + ++authSeq);
        out.id(id);
        out.int(i === 0 ? gp : this.anyPro());
        out.word(K_W, K.authorised);
        const day = activatedDay + rng.int(asOf - activatedDay + 1);
        out.ts(day, this.sec());
        out.end();
      }
      if (rng.chance(p.consents.blockingPct / 100)) {
        const blocked = 1 + rng.poisson(0.3);
        for (let i = 0; i < blocked; i++) {
          out.row(T.authorisations);
          out.int(base + ++authSeq);
          out.id(id);
          out.int(this.anyPro());
          out.word(K_W, K.blocked);
          const day = activatedDay + rng.int(asOf - activatedDay + 1);
          out.ts(day, this.sec());
          out.end();
        }
      }
    }

    // Secure messaging: a mailbox for every non-opposed user (MESDMP-3.1.3.4.7.3-1), messages from professionals.
    if (!opposed) {
      out.row(T.mailboxes);
      out.id(id);
      out.ascii(nir, 0, 15);
      out.addWord(K_W, K[MAILBOX_DOMAIN]);
      out.ts(enrolledDay, enrolledSec);
      out.bool(true);
      out.end();
      const count = Math.min(MAX_CHILDREN, rng.poisson(p.messaging.perUserPerYear * p.historyYears));
      const window = Math.max(1, asOf - Math.max(enrolledDay, this.historyStart) + 1);
      const from = Math.max(enrolledDay, this.historyStart);
      for (let i = 0; i < count; i++) {
        const day = from + rng.int(window);
        const sentSec = this.sec();
        let readDay = -1;
        let readSec = 0;
        if (activated && rng.chance(p.messaging.readPct / 100)) {
          readDay = Math.min(asOf, day + rng.int(10));
          readSec = this.anySec();
        }
        const attachment = docIds.length > 0 && rng.chance(0.3) ? docIds[rng.int(docIds.length)]! : -1;
        out.row(T.messages);
        out.int(base + i + 1);
        out.id(id);
        out.int(rng.chance(0.4) ? gp : this.anyPro());
        out.word(SUBJECT_W, rng.int(MESSAGE_SUBJECTS.length));
        out.ts(day, sentSec);
        if (readDay >= 0) out.ts(readDay, readSec);
        else out.nul();
        if (attachment >= 0) out.int(attachment);
        else out.nul();
        out.end();
      }
    }

    // Agenda (activated users use it; no catalog metric, see the profile).
    if (activated) {
      const count = Math.min(MAX_CHILDREN, rng.poisson(p.agenda.perActivatedUserPerYear * p.historyYears));
      for (let i = 0; i < count; i++) {
        const ki = rng.int(AGENDA_KINDS.length);
        const day = this.historyStart + rng.int(this.historyDays + 90);
        const st = day > asOf ? K.planned : rng.chance(0.08) ? K.cancelled : K.done;
        out.row(T.events);
        out.int(base + i + 1);
        out.id(id);
        if (AGENDA_KINDS[ki]![2]) out.int(rng.chance(0.6) ? gp : this.anyPro());
        else out.nul();
        out.word(AGENDA_KIND_W, ki);
        out.word(AGENDA_TITLE_W, ki);
        out.ts(day, this.sec());
        out.word(K_W, st);
        out.end();
      }
    }

    // Access traces: professionals consulting accessible records, patients using their space.
    if (accessible && docIds.length > 0) {
      const count = Math.min(MAX_CHILDREN - traceSeq, rng.poisson(p.traces.professionalAccessPerUserPerYear * p.historyYears));
      for (let i = 0; i < count; i++) {
        const doc = docIds[rng.int(docIds.length)]!;
        out.row(T.access_traces);
        out.int(base + ++traceSeq);
        out.id(id);
        out.word(K_W, K.professional);
        out.int(rng.chance(0.5) ? gp : this.anyPro());
        out.word(K_W, K.consult);
        out.int(doc);
        const day = this.historyStart + rng.int(this.historyDays);
        out.ts(day, this.sec());
        out.word(K_W, rng.chance(0.8) ? K.lps : K['web-ps']);
        out.end();
      }
    }
    if (activated) {
      const count = Math.min(MAX_CHILDREN - traceSeq, rng.poisson(p.traces.patientAccessPerActivatedUserPerYear * p.historyYears));
      const window = Math.max(1, asOf - activatedDay + 1);
      for (let i = 0; i < count; i++) {
        const doc = docIds.length > 0 && rng.chance(0.6) ? docIds[rng.int(docIds.length)]! : -1;
        out.row(T.access_traces);
        out.int(base + ++traceSeq);
        out.id(id);
        out.word(K_W, K.patient);
        out.nul();
        out.word(K_W, doc >= 0 ? (rng.chance(0.2) ? K.download : K.consult) : K.login);
        if (doc >= 0) out.int(doc);
        else out.nul();
        const day = activatedDay + rng.int(window);
        out.ts(day, this.anySec());
        out.word(K_W, rng.chance(0.65) ? K.app : K.web);
        out.end();
      }
    }
  }

  /** Emits the row of professional `id` (1..P). */
  professional(id: number, sink: RowOut | RowSink): void {
    const out = this.rowOut(sink);
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
    out.row(T.professionals);
    out.int(id);
    out.str(rpps);
    out.str(idnps(rpps));
    out.str(SURNAME_TABLE.names[fam]!);
    out.str(table.names[first]!);
    out.str(sex === 1 ? 'M' : 'F');
    out.str(prof[0]);
    out.str(prof[1]);
    if (specialty === null) out.nul();
    else out.str(specialty);
    out.str(d.code);
    out.str(d.seatName);
    out.str(d.postcode);
    out.str(`${table.ascii[first]}.${SURNAME_TABLE.ascii[fam]}@${prof[5]}.mssante.fr`);
    out.end();
  }
}

/**
 * Legitimate traffic of the documents API, drawn from legit.yaml with a seeded generator: the
 * same vocabulary and seed give the same requests (issue 11; EXG_WAF_1, no false positive on
 * French clinical text, names, FHIR resources or documents of any allowed size). Pure: the caller
 * parses the YAML and sends the requests (modules/lab/waf.int.test.ts).
 */
import { MAX_DOCUMENT_BYTES } from '../../../model/documents.ts';

export interface LegitVocabulary {
  titles: string[];
  templates: string[];
  slots: Record<string, string[]>;
  categories: string[];
  fhir: Array<Record<string, unknown>>;
  headers: Array<Record<string, string>>;
}

export interface AttackEntry {
  id: string;
  family: string;
  payload: string;
  note?: string;
  /** The virtual patch (signature name) covering it when the CRS has no rule for it. */
  patch?: string;
  /** The locations it is sent in, when not all of them. */
  in?: string[];
}

export type LegitContent = { kind: 'random'; bytes: number; seed: number } | { kind: 'fhir'; json: string };

export interface LegitRequest {
  id: string;
  title: string;
  patientId: string;
  category: string;
  headers: Record<string, string>;
  content: LegitContent;
}

/** Document sizes a test sends, from 1 KiB to the maximum (odd sizes exercise base64 padding). */
export const DOCUMENT_SIZES: readonly number[] = [
  1024,
  3 * 1024 + 1,
  64 * 1024,
  256 * 1024 + 2,
  1024 * 1024,
  3 * 1024 * 1024 + 1,
  Math.round(7.9 * 1024 * 1024),
  10 * 1024 * 1024,
  MAX_DOCUMENT_BYTES,
];

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` pseudo-random bytes from `seed` (xorshift32; every byte value occurs, like a binary document). */
export function seededBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  const words = new Uint32Array(out.buffer, 0, Math.floor(n / 4));
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  for (let i = words.length * 4; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  if (xs.length === 0) throw new Error('empty list in the legitimate corpus vocabulary');
  return xs[Math.floor(r() * xs.length)] as T;
}

/** Fills `[[slot]]`s from the vocabulary. */
export function fillTemplate(template: string, slots: Record<string, string[]>, r: () => number): string {
  return template.replace(/\[\[([a-z]+)\]\]/g, (_, name: string) => {
    const xs = slots[name];
    if (!xs) throw new Error(`template slot [[${name}]] has no list in the vocabulary`);
    return pick(r, xs);
  });
}

function patientId(r: () => number): string {
  return r() < 0.5 ? `p-${String(Math.floor(r() * 1e6)).padStart(6, '0')}` : String(1e14 + Math.floor(r() * 9e14));
}

function fhirTitle(res: Record<string, unknown>): string {
  const note =
    (res.note as Array<{ text?: string }> | undefined)?.[0]?.text ?? (res.description as string | undefined) ?? `${String(res.resourceType)} ${String(res.id)}`;
  return `${String(res.resourceType)} : ${note}`.slice(0, 200);
}

/**
 * The legitimate requests: every hand-written title, `generated` titles from the templates, and one
 * document per FHIR resource. Contents are random documents of 1 KiB to 64 KiB (log-uniform) unless
 * FHIR; the large sizes are DOCUMENT_SIZES, sent apart.
 */
export function legitRequests(v: LegitVocabulary, opts: { seed: number; generated: number }): LegitRequest[] {
  const r = prng(opts.seed);
  const out: LegitRequest[] = [];
  const base = (title: string, id: string): LegitRequest => ({
    id,
    title,
    patientId: patientId(r),
    category: pick(r, v.categories),
    headers: { ...pick(r, v.headers) },
    content: { kind: 'random', bytes: Math.round(1024 * 64 ** r()), seed: Math.floor(r() * 2 ** 31) },
  });
  v.titles.forEach((t, i) => {
    out.push(base(t, `title-${i + 1}`));
  });
  for (let i = 0; out.length < v.titles.length + opts.generated; i++) {
    if (i > opts.generated * 10) throw new Error('the templates keep producing titles over 200 characters');
    const t = fillTemplate(pick(r, v.templates), v.slots, r);
    if ([...t].length <= 200) out.push(base(t, `generated-${out.length - v.titles.length + 1}`));
  }
  v.fhir.forEach((res, i) => {
    const req = base(fhirTitle(res), `fhir-${i + 1}`);
    out.push({ ...req, category: String(res.resourceType), content: { kind: 'fhir', json: JSON.stringify(res) } });
  });
  return out;
}

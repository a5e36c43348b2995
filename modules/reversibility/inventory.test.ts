import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadWorkspace } from '../loader/load.ts';
import { pgDomains } from '../model/roles.ts';
import type { Topology } from '../model/topology.ts';
import type { KeyMetadata } from '../runtime/hsm/keystore.ts';
import { shippedTopology } from '../testkit/topologies.ts';
import {
  backupPlan,
  CMDB_CSV_COLUMNS,
  cmdb,
  csv,
  expectedDomainKeyId,
  FLOW_CSV_COLUMNS,
  flowMatrixCsv,
  INVENTORY_VERSION,
  KEY_CSV_COLUMNS,
  KEY_FIELDS,
  keyCartography,
  modelKeyCartography,
  renderKeyCartography,
  tokenKeyRecords,
  modelKeyRecords,
} from './inventory.ts';

/** A strict RFC 4180 reader (CRLF records, quoted fields, doubled quotes): the tests' own, independent of csv(). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  if (text === '') return rows;
  for (;;) {
    let value = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') throw new Error(`bare quote at ${i}`);
        value += text[i++];
      }
    }
    row.push(value);
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text.slice(i, i + 2) !== '\r\n') throw new Error(`expected CRLF at ${i}, got ${JSON.stringify(text.slice(i, i + 2))}`);
    i += 2;
    rows.push(row);
    row = [];
    if (i === text.length) return rows;
  }
}

/** Header + records as objects. */
function records(text: string): { header: string[]; rows: Array<Record<string, string>> } {
  const [header, ...rest] = parseCsv(text);
  return { header: header!, rows: rest.map((r) => Object.fromEntries(header!.map((h, k) => [h, r[k]!]))) };
}

/** Every object's keys are in sorted order, at every level. */
function keysSorted(v: unknown): boolean {
  if (Array.isArray(v)) return v.every(keysSorted);
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    return keys.every((k, i) => i === 0 || keys[i - 1]! < k) && Object.values(v).every(keysSorted);
  }
  return true;
}

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const environments = join(import.meta.dirname, '..', '..', 'environments');
const workspace = loadWorkspace(environments);
const keyDomainsOf = (name: string) => workspace.environments.get(name)!.doc.services.hsm?.keyDomains ?? [];
const lab = shippedTopology('lab');
const production = shippedTopology('production');

function shuffled<T>(a: readonly T[]): T[] {
  // Deterministic reversal plus rotation: a different order, the same elements.
  const r = [...a].reverse();
  return [...r.slice(1), ...r.slice(0, 1)];
}

describe('csv (RFC 4180)', () => {
  it('quotes fields with a comma, a quote, CR or LF, doubles quotes, ends every record with CRLF', () => {
    expect(
      csv([
        ['a', 'b'],
        ['x,y', 'say "hi"'],
        ['line\nbreak', 'cr\rhere'],
      ]),
    ).toBe('a,b\r\n"x,y","say ""hi"""\r\n"line\nbreak","cr\rhere"\r\n');
    expect(csv([])).toBe('');
  });

  it('keeps a lone empty field visible (an empty line would be skipped by readers)', () => {
    expect(csv([['h'], ['']])).toBe('h\r\n""\r\n');
    expect(parseCsv(csv([['h'], ['']]))).toEqual([['h'], ['']]);
  });

  it('refuses rows of different widths and non-string fields, naming the row', () => {
    expect(() => csv([['a', 'b'], ['c']])).toThrow(/row 2 has 1 fields, the first row has 2/);
    expect(() => csv([['a'], [3 as unknown as string]])).toThrow(/row 2, field 1 is number/);
    expect(() => csv([[]])).toThrow(/no field/);
  });

  it('round-trips any rectangular table of strings (property)', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'é', ',', '"', '\r', '\n', ' ', '0', '🩺'), maxLength: 12 });
    const table = fc.integer({ min: 1, max: 5 }).chain((w) => fc.array(fc.array(text, { minLength: w, maxLength: w }), { minLength: 1, maxLength: 8 }));
    fc.assert(
      fc.property(table, (rows) => {
        expect(parseCsv(csv(rows))).toEqual(rows);
      }),
      { numRuns: 300 },
    );
  });
});

describe('cmdb (EXG_REV_14, EXG_TRA_2)', () => {
  for (const [name, t] of [
    ['lab', lab],
    ['production', production],
  ] as const) {
    it(`${name}: every guest appears exactly once, in the JSON and in the CSV, with its addresses and size`, () => {
      const out = cmdb(t, { toolkitCommit: COMMIT });
      const doc = JSON.parse(out.json);
      const { header, rows } = records(out.csv);
      expect(header).toEqual([...CMDB_CSV_COLUMNS]);
      const names = t.guests.map((g) => g.name).sort();
      expect(doc.guests.map((g: { name: string }) => g.name)).toEqual(names);
      expect(rows.map((r) => r.name)).toEqual(names);
      for (const g of t.guests) {
        const row = rows.find((r) => r.name === g.name)!;
        expect([row.site, row.service, row.role, row.cluster, row.hosting], g.name).toEqual([g.site, g.service, g.role, g.cluster, g.hosting]);
        expect([row.vcpu, row.ram_gib, row.disk_gib]).toEqual([String(g.size.vcpu), String(g.size.ramGiB), String(g.size.diskGiB)]);
        for (const n of g.nics) expect([row[`${n.zone}_ip`], row[`${n.zone}_vlan`]], `${g.name} ${n.zone}`).toEqual([n.ip, String(n.vlan)]);
        expect(row.service_zone).toBe(g.nics[0]!.zone);
        expect(row.domain).toBe(g.domain ?? '');
        expect(row.vmid === '', g.name).toBe(g.hosting !== 'vm');
      }
      const vmids = rows.filter((r) => r.vmid !== '').map((r) => r.vmid);
      expect(new Set(vmids).size).toBe(vmids.length);
      expect(doc.version).toBe(INVENTORY_VERSION);
      expect(doc.toolkit.commit).toBe(COMMIT);
      expect(doc.sites.map((s: { id: string }) => s.id)).toEqual(t.sites.map((s) => s.id).sort());
      expect(doc.services.map((s: { id: string }) => s.id)).toEqual(t.services.map((s) => s.id).sort());
      expect(doc.zones).toHaveLength(t.zones.length);
      expect(doc.totals).toEqual(t.totals);
      expect(keysSorted(doc)).toBe(true);
    });
  }

  it('names the software of each guest, with the caller’s versions first, then the model’s pins, else unknown', () => {
    const out = JSON.parse(cmdb(production, { toolkitCommit: COMMIT, packageVersions: { 'postgresql-15': '15.14-0+deb12u1', patroni: '3.0.2-1' } }).json);
    const primary = out.guests.find((g: { role: string }) => g.role === 'primary');
    const pkg = (g: { software: Array<{ package: string }> }, p: string) => g.software.find((s) => s.package === p);
    expect(pkg(primary, 'postgresql-15')).toEqual({
      name: 'PostgreSQL',
      package: 'postgresql-15',
      version: '15.14-0+deb12u1',
      versionFrom: 'package-versions',
      minimum: '15',
    });
    expect(pkg(primary, 'pgbackrest')).toMatchObject({ version: null, versionFrom: null });
    const broker = out.guests.find((g: { role: string }) => g.role === 'broker');
    expect(pkg(broker, 'io.prometheus.jmx:jmx_prometheus_javaagent')).toMatchObject({ version: '1.6.0', versionFrom: 'model' });
    expect(pkg(broker, 'org.apache.kafka:kafka')).toMatchObject({ version: null, minimum: '4.1' });
    const osd = out.guests.find((g: { role: string }) => g.role === 'osd');
    expect(osd.software.map((s: { package: string }) => s.package)).toContain('radosgw');
    const sw = out.software.find((s: { package: string }) => s.package === 'postgresql-15');
    expect(sw.guests).toBe(production.guests.filter((g) => g.role === 'primary' || g.role === 'standby').length);
    expect(sw.services).toEqual(
      pgDomains(production)
        .map((d) => `pg-${d}`)
        .sort(),
    );
    const row = records(cmdb(production, { toolkitCommit: COMMIT, packageVersions: { 'postgresql-15': '15.14' } }).csv).rows.find(
      (r) => r.name === primary.name,
    )!;
    expect(row.software!.split(' ')).toContain('postgresql-15=15.14');
    expect(row.software!.split(' ')).toContain('pgbackrest');
    expect(out.applications.components.length).toBe(production.workloads!.components.length);
    expect(JSON.parse(cmdb(lab, { toolkitCommit: COMMIT }).json).applications).toBeNull();
  });

  // Not the guests' order: it is the model's (VMIDs are ranked in it, as the Proxmox stacks do).
  it('is deterministic: the same bytes twice, and whatever the order of services, zones, sites and chains in the topology', () => {
    const a = cmdb(production, { toolkitCommit: COMMIT });
    const t: Topology = structuredClone(production);
    t.securityChains = shuffled(t.securityChains);
    t.hypervisorClusters = shuffled(t.hypervisorClusters);
    t.services = shuffled(t.services);
    t.zones = shuffled(t.zones);
    t.sites = shuffled(t.sites);
    const b = cmdb(t, { toolkitCommit: COMMIT });
    expect(b.json).toBe(a.json);
    expect(b.csv).toBe(a.csv);
    expect(cmdb(production, { toolkitCommit: COMMIT }).json).toBe(a.json);
  });

  it('refuses a missing commit, an empty package version and a duplicated guest, in one line', () => {
    expect(() => cmdb(lab, { toolkitCommit: '' })).toThrow(/toolkitCommit "" is not a commit id/);
    expect(() => cmdb(lab, { toolkitCommit: COMMIT, packageVersions: { haproxy: ' ' } })).toThrow(/packageVersions\["haproxy"\] is empty/);
    const t = structuredClone(lab);
    t.guests.push(t.guests[0]!);
    expect(() => cmdb(t, { toolkitCommit: COMMIT })).toThrow(/appears twice/);
  });
});

describe('flowMatrixCsv (EXG_ART_1.2, EXG_REV_19)', () => {
  for (const [name, t] of [
    ['lab', lab],
    ['production', production],
  ] as const) {
    it(`${name}: one row per flow-matrix entry, the declared columns, the entry's values`, () => {
      const { header, rows } = records(flowMatrixCsv(t));
      expect(header).toEqual([...FLOW_CSV_COLUMNS]);
      expect(rows).toHaveLength(t.flowMatrix.length);
      const declared = new Map(t.flows.map((f) => [f.id, f]));
      t.flowMatrix.forEach((e, k) => {
        const r = rows[k]!;
        expect([r.flow, r.source, r.source_ip, r.destination, r.destination_ip, r.protocol, r.port, r.plane, r.purpose]).toEqual([
          e.flow,
          e.source.name,
          e.source.ip,
          e.destination.name,
          e.destination.ip,
          e.protocol,
          String(e.port),
          e.plane,
          e.purpose,
        ]);
        expect(r.source_site).toBe(e.source.site ?? '');
        expect(r.scope).toBe(declared.get(e.flow)!.scope);
        expect(r.requirements!.split(' ')).toEqual(declared.get(e.flow)!.requirements);
      });
    });
  }

  it('purposes with commas survive (quoted), and an entry without a declaration is refused', () => {
    expect(production.flowMatrix.some((e) => e.purpose.includes(','))).toBe(true);
    const t = structuredClone(lab);
    t.flows = t.flows.filter((f) => f.id !== t.flowMatrix[0]!.flow);
    expect(() => flowMatrixCsv(t)).toThrow(new RegExp(`entry of flow ${t.flowMatrix[0]!.flow} has no declaration`));
  });
});

describe('backupPlan (EXG_REV_14, EXG_PRA_2)', () => {
  it('production: every database with its repositories, jobs and restore test; the offline copy in the object-lock bucket', () => {
    const doc = JSON.parse(backupPlan(production));
    expect(doc).toMatchObject({ version: INVENTORY_VERSION, kind: 'hds-platform-backup-plan', status: 'planned', environment: 'production' });
    expect(doc.policy.retention).toEqual(production.backup!.retention);
    expect(doc.databases.map((d: { domain: string }) => d.domain)).toEqual(pgDomains(production));
    for (const d of doc.databases) {
      expect(d.repositories).toEqual(['repo1', 'repo2']);
      expect(d.jobs.map((j: { kind: string }) => j.kind)).toEqual(['full', 'diff', 'incr', 'verify', 'offline-full', 'offline-diff', 'offline-verify']);
      expect(d.jobs.every((j: { repository: string; kind: string }) => j.repository === (j.kind.startsWith('offline') ? 'repo2' : 'repo1'))).toBe(true);
      expect(d.restoreTest.command).toEqual(['/usr/local/bin/hdsctl', 'restore-test', '--domain', d.domain, '--random']);
      expect(d.members.map((m: { role: string }) => m.role)).toEqual(['primary', 'standby']);
    }
    const repo2 = doc.repositories.find((r: { id: string }) => r.id === 'repo2');
    expect(repo2.storage).toMatchObject({ type: 's3', bucket: 'production-pgbackrest-offline', objectLock: { mode: 'COMPLIANCE' } });
    // The longest horizon: 12 months of at most 31 days (372) beats 1 year (366).
    expect(repo2.retention.fullDays).toBe(Math.max(production.backup!.retention.yearly * 366, production.backup!.retention.monthly * 31));
    expect(keysSorted(doc)).toBe(true);
  });

  it('every VM but the backup servers is in exactly one VM backup job, data holders on the data schedule', () => {
    const doc = JSON.parse(backupPlan(production));
    const inJobs = doc.vmBackups.jobs.flatMap((j: { guests: string[] }) => j.guests).sort();
    const vms = production.guests.filter((g) => g.hosting === 'vm' && g.service !== 'backup').map((g) => g.name);
    expect(inJobs).toEqual(vms.sort());
    const pg = production.guests.find((g) => g.role === 'primary')!;
    expect(doc.vmBackups.jobs.find((j: { guests: string[] }) => j.guests.includes(pg.name)).schedule).toBe(production.backup!.schedule.data);
  });

  it('lab: the offline copy is a sealed posix path; no secret value, only the secrets’ names', () => {
    const text = backupPlan(lab);
    const doc = JSON.parse(text);
    expect(doc.repositories.find((r: { id: string }) => r.id === 'repo2').storage).toMatchObject({ type: 'posix', path: '/var/lib/pgbackrest-offline' });
    expect(text).not.toMatch(/@@secret|cipher-pass=|BEGIN [A-Z ]*PRIVATE KEY/);
    expect(doc.repositories.map((r: { passphraseSecret: string }) => r.passphraseSecret)).toEqual(['pgbackrest-repo1', 'pgbackrest-repo2']);
  });

  it('without a backup policy: status none, and the databases listed as not backed up', () => {
    const t = structuredClone(lab);
    delete t.backup;
    expect(JSON.parse(backupPlan(t))).toMatchObject({ status: 'none', databases: [{ domain: 'documents', backedUp: false }] });
  });

  it('is deterministic', () => {
    expect(backupPlan(production)).toBe(backupPlan(structuredClone(production)));
  });
});

describe('HSM key cartography (EXG_REV_19)', () => {
  const key = (label: string, extra: Record<string, unknown> = {}): KeyMetadata =>
    ({
      label,
      id: Buffer.from(`hds:${label}:1`).toString('hex'),
      type: 'AES',
      bits: 256,
      extractable: false,
      sensitive: true,
      neverExtractable: true,
      alwaysSensitive: true,
      local: true,
      canWrap: true,
      canUnwrap: true,
      canEncrypt: false,
      mechanism: 'CKM_AES_KEY_WRAP_PAD',
      ...extra,
    }) as KeyMetadata;

  it('keeps metadata only: whatever else an input object carries never reaches the JSON or the CSV', () => {
    const material = 'c2VjcmV0LWtleS1tYXRlcmlhbA==';
    const out = keyCartography([
      { site: 'DC2', token: 'hds-lab', keys: [key('identity', { value: material, material, pin: '1234' })] },
      { site: 'DC1', token: 'hds-lab', keys: [key('documents', { value: Buffer.from(material) }), key('messaging')] },
    ]);
    for (const text of [out.json, out.csv]) {
      expect(text).not.toContain(material);
      expect(text).not.toMatch(/"value"|"material"|"pin"/);
    }
    const doc = JSON.parse(out.json);
    expect(doc.keys.map((k: { site: string; label: string }) => `${k.site}/${k.label}`)).toEqual(['DC1/documents', 'DC1/messaging', 'DC2/identity']);
    for (const k of doc.keys) {
      expect(Object.keys(k).sort()).toEqual([...KEY_FIELDS].sort());
      expect(Object.keys(k.usage).sort()).toEqual(['encrypt', 'unwrap', 'wrap']);
    }
    expect(doc.keys[0]).toMatchObject({
      source: 'token',
      domain: 'documents',
      mechanisms: ['CKM_AES_KEY_WRAP_PAD'],
      extractable: false,
      sensitive: true,
      createdAt: null,
    });
    const { header, rows } = records(out.csv);
    expect(header).toEqual([...KEY_CSV_COLUMNS]);
    expect(rows.map((r) => [r.site, r.token, r.label, r.extractable, r.wrap, r.encrypt, r.created_at])).toEqual([
      ['DC1', 'hds-lab', 'documents', 'false', 'true', 'false', ''],
      ['DC1', 'hds-lab', 'messaging', 'false', 'true', 'false', ''],
      ['DC2', 'hds-lab', 'identity', 'false', 'true', 'false', ''],
    ]);
  });

  it('refuses a token given twice and a CKA_ID that is not hex', () => {
    expect(() =>
      tokenKeyRecords([
        { site: 'DC1', token: 't', keys: [] },
        { site: 'DC1', token: 't', keys: [] },
      ]),
    ).toThrow(/token t of DC1 is given twice/);
    expect(() => tokenKeyRecords([{ site: 'DC1', token: 't', keys: [key('documents', { id: 'not hex' })] }])).toThrow(/CKA_ID that is not hex/);
  });

  it('model: one non-extractable wrapping key per key domain on the HSM cluster of every site', () => {
    const domains = keyDomainsOf('production');
    expect(domains.length).toBeGreaterThan(0);
    const doc = JSON.parse(modelKeyCartography(production, domains).json);
    const clusters = production.services.filter((s) => s.kind === 'hsm');
    expect(doc.keys).toHaveLength(clusters.length * domains.length);
    expect(doc).toMatchObject({ environment: 'production', sources: ['model'] });
    for (const c of clusters)
      expect(
        doc.keys
          .filter((k: { token: string }) => k.token === c.id)
          .map((k: { domain: string }) => k.domain)
          .sort(),
      ).toEqual([...domains].sort());
    for (const k of doc.keys)
      expect(k).toMatchObject({ id: expectedDomainKeyId(k.domain), bits: 256, extractable: false, neverExtractable: true, usage: { encrypt: false } });
  });

  it('model ids are the key store’s (keystore.ts gives each domain key the CKA_ID `hds:<domain>:1`)', () => {
    expect(expectedDomainKeyId('documents')).toBe(Buffer.from('hds:documents:1', 'ascii').toString('hex'));
    const keystore = readFileSync(join(import.meta.dirname, '..', 'runtime', 'hsm', 'keystore.ts'), 'utf8');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the key store's source text, not a template
    expect(keystore).toContain("id: Buffer.from(`hds:${domain}:1`, 'ascii')");
    expect(keystore).toContain("WRAP_MECHANISM_NAME = 'CKM_AES_KEY_WRAP_PAD'");
  });

  it('model and token records render together, and key domains without an HSM are refused', () => {
    const both = renderKeyCartography([
      ...modelKeyRecords(lab, keyDomainsOf('lab')),
      ...tokenKeyRecords([{ site: 'DC1', token: 'hds-lab', keys: [key('documents')] }]),
    ]);
    expect(JSON.parse(both.json).sources).toEqual(['model', 'token']);
    const t = structuredClone(lab);
    t.services = t.services.filter((s) => s.kind !== 'hsm');
    expect(() => modelKeyRecords(t, ['documents'])).toThrow(/has key domains \(documents\) but no HSM service/);
    expect(JSON.parse(modelKeyCartography(t, []).json).keys).toEqual([]);
  });

  it('is deterministic whatever the order of tokens and keys', () => {
    const a = keyCartography([
      { site: 'DC1', token: 'hds-lab', keys: [key('documents'), key('identity')] },
      { site: 'DC2', token: 'hds-lab', keys: [key('identity'), key('documents')] },
    ]);
    const b = keyCartography([
      { site: 'DC2', token: 'hds-lab', keys: [key('documents'), key('identity')] },
      { site: 'DC1', token: 'hds-lab', keys: [key('identity'), key('documents')] },
    ]);
    expect(b).toEqual(a);
  });
});

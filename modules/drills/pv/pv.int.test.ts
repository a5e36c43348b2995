/**
 * The HTML PV opened in headless Chromium, launched as every page test launches it
 * (modules/testkit/chromium.ts: no network, file:// only, a fresh profile). Chromium is
 * driven over the DevTools protocol on a pipe (--remote-debugging-pipe): every request the page
 * makes is recorded (Network.requestWillBeSent, with the page's Content-Security-Policy bypassed so
 * that an external reference would be tried and seen rather than silently blocked) and the
 * rendered SVG is measured. A control page with one external image proves the detection works.
 * The screenshot is taken as for the policy report (--screenshot, 1400×2000) and kept as
 * docs/drill-pv-example.png.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../loader/atomicWrite.ts';
import { ABSOLUTE_PATH } from '../../reports/pv/testing.ts';
import { chromium, headlessFlags, screenshot } from '../../testkit/chromium.ts';
import { toHtml } from './html.ts';
import { fixtureRun } from './testing.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** A DevTools protocol client over the pipe of `--remote-debugging-pipe` (fd 3: to the browser, fd 4: from it; NUL-separated JSON). */
function cdp(proc: ChildProcess) {
  const toBrowser = proc.stdio[3] as Writable;
  const fromBrowser = proc.stdio[4] as Readable;
  let buf = Buffer.alloc(0);
  let next = 0;
  const pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  const events: CdpMessage[] = [];
  const waiters: Array<{ match: (m: CdpMessage) => boolean; resolve: (m: CdpMessage) => void }> = [];
  fromBrowser.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (let end = buf.indexOf(0); end >= 0; end = buf.indexOf(0)) {
      const msg = JSON.parse(buf.subarray(0, end).toString('utf8')) as CdpMessage;
      buf = buf.subarray(end + 1);
      if (msg.id !== undefined) {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`${msg.error.message}`));
        else p?.resolve(msg.result ?? {});
        continue;
      }
      events.push(msg);
      for (const w of [...waiters])
        if (w.match(msg)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(msg);
        }
    }
  });
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve, reject });
      toBrowser.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  const waitFor = (match: (m: CdpMessage) => boolean, ms: number) =>
    new Promise<CdpMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a DevTools event')), ms);
      waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  return { send, waitFor, events };
}

interface Loaded {
  requests: string[];
  svg: { width: number; height: number; faults: number[][]; resources: number };
}

/** Opens each file:// URL in turn in one headless Chromium; returns the requests each page made and its SVG measures. */
async function openPages(urls: string[]): Promise<Loaded[]> {
  const proc = spawn(chromium!, [...headlessFlags(), '--remote-debugging-pipe', 'about:blank'], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  try {
    const c = cdp(proc);
    const { targetId } = (await c.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await c.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    await c.send('Network.enable', {}, sessionId);
    await c.send('Page.enable', {}, sessionId);
    await c.send('Page.setBypassCSP', { enabled: true }, sessionId);
    const out: Loaded[] = [];
    for (const url of urls) {
      const first = c.events.length;
      const loaded = c.waitFor((m) => m.method === 'Page.loadEventFired' && m.sessionId === sessionId, 60_000);
      await c.send('Page.navigate', { url }, sessionId);
      await loaded;
      // Let late requests (fonts, images decoded after load) show up.
      await new Promise((r) => setTimeout(r, 500));
      const requests = c.events
        .slice(first)
        .filter((m) => m.method === 'Network.requestWillBeSent' && m.sessionId === sessionId)
        .map((m) => String((m.params?.request as { url?: string } | undefined)?.url));
      const { result } = (await c.send(
        'Runtime.evaluate',
        {
          expression: `(() => {
            const s = document.querySelector('svg.pv-chart');
            const r = s ? s.getBoundingClientRect() : { width: 0, height: 0 };
            const faults = s ? [...s.querySelectorAll('rect.fault')].map((e) => { const b = e.getBoundingClientRect(); return [b.width, b.height]; }) : [];
            return { width: r.width, height: r.height, faults, resources: performance.getEntriesByType('resource').length };
          })()`,
          returnByValue: true,
        },
        sessionId,
      )) as { result: { value: Loaded['svg'] } };
      out.push({ requests, svg: result.value });
    }
    await c.send('Browser.close').catch(() => undefined);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    return out;
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill();
  }
}

describe.skipIf(!chromium)('HTML PV in headless Chromium', () => {
  it('is self-contained, renders its SVG, and the screenshot is saved as docs/drill-pv-example.png', { timeout: 300_000 }, async () => {
    const run = fixtureRun();
    const dir = mkdtempSync(join(tmpdir(), 'hds-pv-html-'));
    const html = join(dir, 'pv.html');
    const page = toHtml(run, 'fr');
    expect(page).not.toMatch(ABSOLUTE_PATH);
    writeFileAtomic(html, page);
    // Control: the same page with one external image, which the detection must see.
    const control = join(dir, 'control.html');
    writeFileAtomic(control, page.replace('</main>', '<img src="http://127.0.0.1:9/external.png" alt=""></main>'));

    const [pv, ctl] = await openPages([`file://${html}`, `file://${control}`]);
    expect(pv!.requests).toEqual([`file://${html}`]);
    expect(pv!.svg.resources).toBe(0);
    expect(pv!.svg.width).toBeGreaterThan(500);
    expect(pv!.svg.height).toBeGreaterThan(200);
    expect(pv!.svg.faults).toHaveLength(run.faults.length);
    for (const [w, h] of pv!.svg.faults) {
      expect(w).toBeGreaterThan(0);
      expect(h).toBeGreaterThan(0);
    }
    expect(ctl!.requests).toContain('http://127.0.0.1:9/external.png');

    const png = join(dir, 'shot.png');
    const shot = await screenshot(`file://${html}`, png);
    expect(shot).toMatchObject({ png: true, width: 1400 });
    expect(shot.bytes).toBeGreaterThan(20_000);
    copyFileSync(png, join(ROOT, 'docs', 'drill-pv-example.png'));
  });
});

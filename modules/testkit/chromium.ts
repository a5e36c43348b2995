/**
 * Headless Chromium for the integration tests that open a rendered page (the policy report, the
 * drill and restore-test PVs): the binary, one set of launch flags with no network side effect
 * (file:// pages only; background networking, component updates, sync and QUIC off) and a fresh
 * profile per launch, a screenshot and a DOM dump. Needs no root and no namespace.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

/** The Chromium of the machine (Debian: /usr/bin/chromium); undefined when there is none (the tests skip). */
export const chromium: string | undefined = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** The launch flags, with a fresh profile directory under the system temporary directory. */
export function headlessFlags(): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${mkdtempSync(join(tmpdir(), 'hds-chromium-profile-'))}`,
  ];
}

function binary(): string {
  if (!chromium) throw new Error('no Chromium on this machine (/usr/bin/chromium): install the chromium package');
  return chromium;
}

/** What a screenshot file is: a PNG or not, its size in pixels (from its IHDR chunk) and in bytes. */
export interface Screenshot {
  png: boolean;
  width: number;
  height: number;
  bytes: number;
}

/** Screenshots `url` into the PNG file `file` with a window of `width`×`height`; what the file is. */
export async function screenshot(url: string, file: string, width = 1400, height = 2000): Promise<Screenshot> {
  await execa(binary(), [...headlessFlags(), `--screenshot=${file}`, `--window-size=${width},${height}`, url], { timeout: 120_000, reject: true });
  const b = readFileSync(file);
  const png = b.length >= 24 && b.subarray(0, 8).toString('hex') === '89504e470d0a1a0a';
  return { png, width: png ? b.readUInt32BE(16) : 0, height: png ? b.readUInt32BE(20) : 0, bytes: b.length };
}

/** The DOM of `url` once loaded and its timers run (up to `virtualTimeBudgetMs` of virtual time), serialised. */
export async function dumpDom(url: string, virtualTimeBudgetMs = 5000): Promise<string> {
  const r = await execa(binary(), [...headlessFlags(), `--virtual-time-budget=${virtualTimeBudgetMs}`, '--dump-dom', url], { timeout: 120_000, reject: true });
  return r.stdout;
}

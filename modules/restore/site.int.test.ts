/**
 * The isolated restore site for real (root): a namespace with only loopback, one forwarded port,
 * the data directory on a gocryptfs store, and its destruction. Needs socat and gocryptfs
 * (LAB_PACKAGES); touches no lab namespace (its own `hds-restore-t…`).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupUser } from '../lab/command.ts';
import { listNetns } from '../lab/netns.ts';
import { createRestoreSite, destroyRestoreSite, type RestoreSite, type RestoreSiteSpec, restoreSiteAlive } from './site.ts';

const isRoot = process.getuid?.() === 0;
const haveTools = async () =>
  (await Promise.all(['/usr/bin/socat', '/usr/bin/gocryptfs'].map((f) => execa('test', ['-x', f], { reject: false })))).every((r) => r.exitCode === 0);

describe.skipIf(!isRoot)('isolated restore site (root)', () => {
  const dir = join(mkdtempSync('/tmp/hds-restore-site-'), 'site');
  const netns = `hds-restore-t${randomBytes(3).toString('hex')}`;
  let echo: Server;
  let spec: RestoreSiteSpec;
  let site: RestoreSite;
  const port = 18432;

  beforeAll(async () => {
    if (!(await haveTools())) throw new Error('socat and gocryptfs are needed: hdsctl lab deps --install');
    // The "repository": an echo server on the host's loopback, reachable only through the forward.
    echo = createServer((s) => s.on('data', (d) => s.write(`echo:${d.toString()}`)));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const target = { host: '127.0.0.1', port: (echo.address() as { port: number }).port };
    const pg = lookupUser('postgres');
    spec = {
      netns,
      dir,
      forwards: [
        { port, target, purpose: 'test repository' },
        { listen: '192.0.2.10', port, target, purpose: 'test gateway on its own address' },
      ],
      owner: { uid: pg.uid, gid: pg.gid },
    };
    site = await createRestoreSite(spec);
  }, 60_000);

  afterAll(async () => {
    await destroyRestoreSite({ netns, dir }).catch(() => undefined);
    echo?.close();
  });

  const inSite = (args: string[], input?: string) =>
    execa('ip', ['netns', 'exec', netns, ...args], { reject: false, timeout: 10_000, ...(input ? { input } : {}) });

  it('the namespace has loopback only: no other link, no route; the host is unreachable from it', async () => {
    const links = JSON.parse(String((await execa('ip', ['-n', netns, '-j', 'link', 'show'])).stdout)) as Array<{ ifname: string }>;
    expect(links.map((l) => l.ifname)).toEqual(['lo']);
    expect(String((await execa('ip', ['-n', netns, 'route', 'show'])).stdout).trim()).toBe('');
    // The echo server's own port, dialled directly from inside: loopback there is another loopback.
    const direct = await inSite(['socat', '-T2', '-', `TCP:127.0.0.1:${(echo.address() as { port: number }).port},connect-timeout=2`], 'x\n');
    expect(direct.exitCode).not.toBe(0);
    const out = await inSite(['socat', '-T2', '-', 'TCP:192.0.2.1:443,connect-timeout=2'], 'x\n');
    expect(out.exitCode).not.toBe(0);
    expect(String(out.stderr)).toMatch(/unreachable/i);
  });

  it('the forwarded port leads to its target, and only it', async () => {
    const r = await inSite(['socat', '-T3', '-', `TCP:127.0.0.1:${port}`], 'ping\n');
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toContain('echo:ping');
    expect(await restoreSiteAlive(spec)).toBe(true);
    // The relay's socket on the host side is the owner's only (0600).
    const sock = await stat(join(dir, 'sockets', `fwd-127-0-0-1-${port}.sock`));
    expect(sock.mode & 0o777).toBe(0o600);
  });

  it("a forward on the target's own address: that address on the site's loopback only, still no route", async () => {
    const r = await inSite(['socat', '-T3', '-', `TCP:192.0.2.10:${port}`], 'tls\n');
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toContain('echo:tls');
    expect(String((await execa('ip', ['-n', netns, 'route', 'show'])).stdout).trim()).toBe('');
    const other = await inSite(['socat', '-T2', '-', 'TCP:192.0.2.11:443,connect-timeout=2'], 'x\n');
    expect(other.exitCode).not.toBe(0);
  });

  it('the data directory is encrypted at rest: owner only, the clear text in no file on disk', async () => {
    const st = await stat(site.dataRoot);
    expect([st.uid, st.mode & 0o777]).toEqual([spec.owner.uid, 0o700]);
    const marker = `clear-${randomBytes(8).toString('hex')}`;
    await writeFile(join(site.dataRoot, 'probe'), marker.repeat(64));
    expect(await readFile(join(site.dataRoot, 'probe'), 'utf8')).toContain(marker);
    await execa('sync');
    const g = await execa('grep', ['-rlF', marker, site.cipherDir], { reject: false });
    expect(g.exitCode, g.stdout).toBe(1);
    expect((await readdir(site.cipherDir)).length).toBeGreaterThan(1); // the ciphertext is there
  });

  it('refuses a namespace it did not create, and a name that is not a restore site’s', async () => {
    await expect(createRestoreSite({ ...spec, netns: 'hds-dc1' })).rejects.toThrow(/must match/);
    const foreign = `hds-restore-f${randomBytes(3).toString('hex')}`;
    await execa('ip', ['netns', 'add', foreign]);
    try {
      await expect(createRestoreSite({ ...spec, netns: foreign, dir: join(dir, '..', 'other') })).rejects.toThrow(/not created by this restore site/);
    } finally {
      await execa('ip', ['netns', 'del', foreign]);
    }
  });

  it('destroy: processes, mount, store password and ciphertext, namespace, directory — recorded; twice is fine', async () => {
    const items = await destroyRestoreSite({ netns, dir });
    const what = items.map((i) => i.what).join('\n');
    expect(what).toMatch(/process restore-store stopped/);
    expect(what).toMatch(/password deleted/);
    expect(what).toMatch(new RegExp(`namespace ${netns} deleted`));
    for (const i of items) expect(Number.isNaN(Date.parse(i.at))).toBe(false);
    expect(await listNetns()).not.toContain(netns);
    expect(await stat(dir).catch(() => undefined)).toBeUndefined();
    expect((await readFile('/proc/self/mounts', 'utf8')).includes(site.dataRoot)).toBe(false);
    const left = await execa('pgrep', ['-f', dir], { reject: false });
    expect(String(left.stdout).trim()).toBe('');
    expect(await destroyRestoreSite({ netns, dir })).toEqual([]);
  });
});

/**
 * Faults injected into the running lab, and healed, for real:
 *
 * | kind | injection | healing |
 * | --- | --- | --- |
 * | site-loss | every packet in and out of the site's namespace dropped (iptables, loopback kept) | rules flushed |
 * | partition | DC1↔DC2 packets dropped both ways; DC3 and the host still see both | rules flushed |
 * | dc3-loss | site-loss of the backup site (DCS witness, pgBackRest repository, Prometheus) | rules flushed |
 * | postmaster-crash | `kill -9` of the leader's postmaster | Patroni restarts it or fails over |
 * | patroni-crash | `kill -9` of the leader's Patroni | the supervisor restarts it (systemd Restart=on-failure) |
 * | etcd-loss | SIGSTOP of a site's etcd member (frozen, not dead) | SIGCONT |
 * | waf-loss | the site's WAF port dropped (iptables) | rules flushed |
 * | hsm-loss | the site's HSM token gone (its SoftHSM object store moved aside: the key store's session and handles fail, as with an HSM unreachable) | store moved back; the services re-open their session on their own |
 * | switchover | planned switchover to the synchronous standby (Patroni REST) | failback to the first leader |
 *
 * Packets are dropped, not refused: peers see what a lost site looks like (silence), not an
 * error. Rules live in two chains of our own (HDS-DRILL-IN/OUT) inside the lab's namespaces,
 * which `lab down` deletes with the namespaces anyway.
 */
import { mkdir, readFile, rename, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand, runCommandOk } from '../lab/command.ts';
import { pgDataDir } from '../lab/components/postgres.ts';
import { edgeSites, hsmPaths } from '../lab/edgeEndpoints.ts';
import { etcdMembers, patroniNodes } from '../lab/endpoints.ts';
import { labSiteOf } from '../lab/guests.ts';
import { patroniRequest } from '../lab/patroniApi.ts';
import { netnsPids } from '../lab/supervisor.ts';
import type { LabPlan } from '../lab/types.ts';
import { PORTS } from '../model/ports.ts';
import type { FaultKind, FaultSpec } from './types.ts';

const CHAIN_IN = 'HDS-DRILL-IN';
const CHAIN_OUT = 'HDS-DRILL-OUT';

export interface InjectedFault {
  spec: FaultSpec;
  /** The site actually hit. */
  site?: string;
  description: string;
  heal(): Promise<void>;
}

export interface FaultContext {
  plan: LabPlan;
  domain: string;
  /** The current leader's Patroni member name. */
  leader(): Promise<string>;
  log(line: string): void;
}

/** What each kind needs and does, for `hdsctl drill list`. */
export const FAULT_CATALOG: Record<FaultKind, { needsSite: boolean; fr: string; en: string }> = {
  'site-loss': { needsSite: true, fr: 'Perte d’un site entier (réseau coupé)', en: 'Loss of a whole site (network cut off)' },
  partition: { needsSite: false, fr: 'Coupure DC1↔DC2, DC3 voit les deux', en: 'DC1↔DC2 link cut, DC3 sees both' },
  'dc3-loss': { needsSite: false, fr: 'Perte du site de secours (témoin, sauvegardes)', en: 'Loss of the backup site (witness, backups)' },
  'postmaster-crash': { needsSite: false, fr: 'Arrêt brutal (kill -9) du postmaster leader', en: 'kill -9 of the leader postmaster' },
  'patroni-crash': { needsSite: false, fr: 'Arrêt brutal (kill -9) du Patroni leader', en: 'kill -9 of the leader’s Patroni' },
  'etcd-loss': { needsSite: true, fr: 'Membre etcd d’un site gelé', en: 'A site’s etcd member frozen' },
  'waf-loss': { needsSite: true, fr: 'WAF d’un site injoignable', en: 'A site’s WAF unreachable' },
  'hsm-loss': { needsSite: true, fr: 'Jeton HSM d’un site indisponible', en: 'A site’s HSM token unavailable' },
  switchover: { needsSite: false, fr: 'Bascule planifiée puis retour (failback)', en: 'Planned switchover, then failback' },
};

async function ipt(netns: string, args: string[], ok = true): Promise<boolean> {
  const spec = { netns, command: 'iptables', args: ['-w', '5', ...args] };
  if (ok) {
    await runCommandOk(spec, { timeoutMs: 15_000 });
    return true;
  }
  return (await runCommand(spec, { timeoutMs: 15_000 })).exitCode === 0;
}

async function ensureChains(netns: string): Promise<void> {
  for (const [chain, hook] of [
    [CHAIN_IN, 'INPUT'],
    [CHAIN_OUT, 'OUTPUT'],
  ] as const) {
    await ipt(netns, ['-N', chain], false); // exists already: fine
    if (!(await ipt(netns, ['-C', hook, '-j', chain], false))) await ipt(netns, ['-I', hook, '1', '-j', chain]);
  }
}

async function flush(netns: string): Promise<void> {
  await ipt(netns, ['-F', CHAIN_IN], false);
  await ipt(netns, ['-F', CHAIN_OUT], false);
}

/** Drops every packet of `netns` but loopback. */
async function cutOff(netns: string): Promise<void> {
  await ensureChains(netns);
  await ipt(netns, ['-A', CHAIN_IN, '!', '-i', 'lo', '-j', 'DROP']);
  await ipt(netns, ['-A', CHAIN_OUT, '!', '-o', 'lo', '-j', 'DROP']);
}

async function dropPeer(netns: string, peer: string): Promise<void> {
  await ensureChains(netns);
  await ipt(netns, ['-A', CHAIN_IN, '-s', `${peer}/32`, '-j', 'DROP']);
  await ipt(netns, ['-A', CHAIN_OUT, '-d', `${peer}/32`, '-j', 'DROP']);
}

/** Removes every drill rule from every lab namespace (also after a crashed drill). */
export async function healAll(plan: LabPlan): Promise<void> {
  for (const s of plan.sites) await flush(s.netns);
  // An HSM token a crashed drill left aside is put back.
  for (const s of plan.sites) await restoreToken(hsmPaths(plan.stateDir, s.id).tokenDir);
}

const AWAY = '.drill-away';

/** Moves a token's object store aside and leaves an empty one: the token is gone for SoftHSM. */
async function hideToken(tokenDir: string): Promise<void> {
  await rename(tokenDir, tokenDir + AWAY);
  await mkdir(tokenDir, { mode: 0o700 });
}

/** Puts a token moved aside back (only over the empty directory hideToken left). */
async function restoreToken(tokenDir: string): Promise<void> {
  if (
    !(await stat(tokenDir + AWAY).then(
      () => true,
      () => false,
    ))
  )
    return;
  await rmdir(tokenDir).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw new Error(`cannot put the HSM token back: ${tokenDir} is not the empty directory the drill left (${e.code})`);
  });
  await rename(tokenDir + AWAY, tokenDir);
}

/** Launchers whose command line repeats the service's: the supervisor's wrapper, user switch, namespace entry. */
const WRAPPERS = new Set(['sh', 'bash', 'dash', 'runuser', 'setpriv', 'su', 'ip', 'nsenter', 'timeout', 'env']);

/** The pid of the service process (not a launcher) whose command line contains `needle`, inside `netns`. */
async function pidByCmdline(netns: string, needle: string): Promise<number | undefined> {
  for (const p of await netnsPids(netns)) {
    const cmd = await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '');
    const argv = cmd.split('\0');
    const prog = argv[0]?.split('/').pop() ?? '';
    if (argv.some((a) => a.includes(needle)) && !WRAPPERS.has(prog)) return p;
  }
  return undefined;
}

function siteOf(plan: LabPlan, spec: FaultSpec, fallback?: string): string {
  const site = spec.site ?? fallback;
  if (!site) throw new Error(`${spec.kind} needs a site (--site DC1|DC2|DC3)`);
  labSiteOf(plan, site);
  return site;
}

async function patroniSwitchover(plan: LabPlan, domain: string, from: string, to: string): Promise<void> {
  const node = patroniNodes(plan, domain).find((n) => n.name === from) ?? patroniNodes(plan, domain)[0]!;
  const r = await patroniRequest(plan, domain, `${node.restUrl}/switchover`, 'POST', { leader: from, candidate: to }, 30_000);
  if (r.status !== 200) throw new Error(`switchover ${from} → ${to}: HTTP ${r.status} ${r.body.trim()}`);
}

export async function injectFault(ctx: FaultContext, spec: FaultSpec): Promise<InjectedFault> {
  const { plan } = ctx;
  const nodes = patroniNodes(plan, ctx.domain);
  const leaderNode = async () => {
    const name = await ctx.leader();
    const n = nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no Patroni node named ${name}`);
    return n;
  };
  switch (spec.kind) {
    case 'site-loss':
    case 'dc3-loss': {
      const site = spec.kind === 'dc3-loss' ? siteOf(plan, spec, plan.sites[plan.sites.length - 1]!.id) : siteOf(plan, spec);
      const ns = labSiteOf(plan, site).netns;
      await cutOff(ns);
      return { spec, site, description: `${site} cut off (every packet of ${ns} dropped)`, heal: () => flush(ns) };
    }
    case 'partition': {
      const [a, b] = [...new Set(nodes.map((n) => n.site.id))].map((id) => labSiteOf(plan, id));
      if (!a || !b) throw new Error('a partition needs the two data sites');
      await dropPeer(a.netns, b.address);
      await dropPeer(b.netns, a.address);
      return {
        spec,
        description: `${a.id}↔${b.id} packets dropped both ways`,
        heal: async () => {
          await flush(a.netns);
          await flush(b.netns);
        },
      };
    }
    case 'postmaster-crash': {
      const n = await leaderNode();
      const pid = Number((await readFile(join(pgDataDir(plan, n), 'postmaster.pid'), 'utf8')).split('\n')[0]);
      process.kill(pid, 'SIGKILL');
      return { spec, site: n.site.id, description: `kill -9 of the postmaster of ${n.name} (pid ${pid})`, heal: async () => {} };
    }
    case 'patroni-crash': {
      const n = await leaderNode();
      const pid = await pidByCmdline(n.site.netns, '/etc/patroni/config.yml');
      if (!pid) throw new Error(`no Patroni process found for ${n.name}`);
      process.kill(pid, 'SIGKILL');
      return { spec, site: n.site.id, description: `kill -9 of Patroni on ${n.name} (pid ${pid}); the supervisor restarts it`, heal: async () => {} };
    }
    case 'etcd-loss': {
      const site = siteOf(plan, spec);
      const m = etcdMembers(plan).find((x) => x.site.id === site);
      if (!m) throw new Error(`no etcd member in ${site}`);
      const pid = await pidByCmdline(m.site.netns, '/etc/etcd/etcd.yml');
      if (!pid) throw new Error(`no etcd process found for ${m.name}`);
      process.kill(pid, 'SIGSTOP');
      return { spec, site, description: `etcd member ${m.name} frozen (SIGSTOP, pid ${pid})`, heal: async () => void process.kill(pid, 'SIGCONT') };
    }
    case 'waf-loss': {
      const site = siteOf(plan, spec);
      const e = edgeSites(plan).find((x) => x.site.id === site);
      if (!e) throw new Error(`no WAF in ${site}`);
      await ensureChains(e.site.netns);
      await ipt(e.site.netns, ['-A', CHAIN_IN, '-p', 'tcp', '--dport', String(PORTS.waf), '-j', 'DROP']);
      return { spec, site, description: `WAF of ${site} unreachable (port ${PORTS.waf} dropped)`, heal: () => flush(e.site.netns) };
    }
    case 'hsm-loss': {
      const site = siteOf(plan, spec);
      const e = edgeSites(plan).find((x) => x.site.id === site);
      if (!e) throw new Error(`no HSM token in ${site}`);
      const tokenDir = hsmPaths(plan.stateDir, site).tokenDir;
      await hideToken(tokenDir);
      return { spec, site, description: `HSM token of ${site} unavailable (object store moved aside)`, heal: () => restoreToken(tokenDir) };
    }
    case 'switchover': {
      const from = await leaderNode();
      const to = nodes.find((x) => x.name !== from.name);
      if (!to) throw new Error('no switchover candidate');
      await patroniSwitchover(plan, ctx.domain, from.name, to.name);
      return {
        spec,
        site: from.site.id,
        description: `planned switchover ${from.name} → ${to.name}; failback after the hold`,
        heal: async () => {
          // Failback once the old leader streams again as the synchronous standby.
          for (let i = 0; i < 60; i++) {
            try {
              await patroniSwitchover(plan, ctx.domain, to.name, from.name);
              return;
            } catch (e) {
              if (i === 59) throw e;
              await new Promise((r) => setTimeout(r, 1000));
            }
          }
        },
      };
    }
  }
}

/**
 * The service files every environment's VMs receive through cloud-init (stacks/serviceConfig.ts):
 * asserted on the decoded user-data of production, with the requirement each property serves.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parse as parseYaml } from 'yaml';
import { evaluate, loadWorkspace } from '../modules/loader/load.ts';
import { inCidr } from '../modules/model/cidr.ts';
import { isPgData, pgDomains, pgNodes } from '../modules/model/roles.ts';
import type { Guest, Topology } from '../modules/model/topology.ts';
import { findInlineSecrets } from '../modules/proxmox/cloudinit/secrets.ts';
import { buildUserData } from '../modules/proxmox/cloudinit/userData.ts';
import { pgbackrestRetention } from '../modules/services/fromTopology/backup.ts';
import { guestFiles } from '../modules/services/fromTopology/index.ts';
import { labProfile, PRODUCTION } from '../modules/services/fromTopology/profile.ts';
import { wafInput } from '../modules/services/fromTopology/waf.ts';
import { SECRET_PLACEHOLDER } from '../modules/services/secrets.ts';
import { stackOptionsFromEnv } from './options.ts';
import { configFor } from './serviceConfig.ts';

const ev = evaluate(loadWorkspace(join(import.meta.dirname, '..', 'environments')));
const prod = ev.topologies.get('production')!;
const options = stackOptionsFromEnv({}, { backend: 'local' }).proxmox;

interface Written {
  path: string;
  content: string;
  owner: string;
  permissions: string;
}

/** The write_files of a guest's user-data, decoded. */
function written(t: Topology, g: Guest): Map<string, Written> {
  const doc = parseYaml(buildUserData({ topology: t, guest: g, options, configFor }).replace(/^#cloud-config\n/, '')) as {
    write_files: Array<{ path: string; content: string; owner: string; permissions: string }>;
  };
  return new Map(
    doc.write_files.map((f) => [
      f.path,
      { path: f.path, content: Buffer.from(f.content, 'base64').toString('utf8'), owner: f.owner, permissions: f.permissions },
    ]),
  );
}

const guests = (t: Topology, p: (g: Guest) => boolean) => t.guests.filter((g) => g.hosting === 'vm' && p(g));
const ip = (g: Guest, zone: string) => g.nics.find((n) => n.zone === zone)!.ip;

let files: Map<string, Map<string, Written>>;
beforeAll(() => {
  files = new Map(guests(prod, (g) => g.service !== 'openshift').map((g) => [g.name, written(prod, g)]));
});
const of = (g: Guest, path: string) => {
  const f = files.get(g.name)?.get(path);
  expect(f, `${g.name} ${path}`).toBeDefined();
  return f!;
};

describe('PostgreSQL data nodes of production (EXG_PCA_2, EXG_PRA_2)', () => {
  const data = guests(prod, isPgData);
  const witness = prod.guests.find((g) => g.cluster === 'pg-dcs' && g.role === 'witness')!;

  it('12 data nodes, 2 per domain on distinct sites, each with its Patroni config (0600)', () => {
    expect(data).toHaveLength(12);
    for (const d of pgDomains(prod)) expect(new Set(pgNodes(prod, d).map((g) => g.site)).size).toBe(2);
    for (const g of data) expect(of(g, '/etc/patroni/config.yml').permissions).toBe('0600');
  });

  it('synchronous mode, continue-alone (not strict, ADR 0006), bounded failover, watchdog, data checksums, archive_command to pgBackRest', () => {
    for (const g of data) {
      const c = parse(of(g, '/etc/patroni/config.yml').content);
      expect(c.bootstrap.dcs.synchronous_mode, g.name).toBe(true);
      expect(prod.postgresql?.onStandbyLoss).toBe('continue-alone');
      expect(c.bootstrap.dcs.synchronous_mode_strict, g.name).toBe(false);
      expect(c.bootstrap.dcs.failsafe_mode).toBe(true);
      expect(c.bootstrap.dcs.ttl).toBeGreaterThanOrEqual(c.bootstrap.dcs.loop_wait + 2 * c.bootstrap.dcs.retry_timeout);
      expect(c.bootstrap.dcs.postgresql.parameters.wal_sender_timeout).toBe('6s');
      expect(c.bootstrap.dcs.postgresql.parameters.tcp_user_timeout).toBe('6000ms');
      expect(c.watchdog).toEqual({ mode: 'required', device: '/dev/watchdog', safety_margin: 5 });
      expect(of(g, '/etc/modules-load.d/hds-softdog.conf').content).toContain('softdog');
      expect(of(g, '/etc/pgbackrest/pgbackrest.conf').content).toMatch(/^archive-async=y$/m);
      expect(c.bootstrap.initdb).toContain('data-checksums');
      expect(c.postgresql.parameters.archive_mode).toBe('on');
      expect(c.postgresql.parameters.archive_command).toBe(`pgbackrest --config=/etc/pgbackrest/pgbackrest.conf --stanza=${g.domain} archive-push %p`);
      expect(c.postgresql.data_dir).toBe('/var/lib/postgresql/15/main');
      expect(c.scope).toBe(g.domain);
      expect(c.name).toBe(g.name);
    }
  });

  it('pg_hba: hostssl + scram-sha-256 only, from zone subnets inside the environment block, then reject', () => {
    for (const g of data) {
      const hba = parse(of(g, '/etc/patroni/config.yml').content).postgresql.pg_hba as string[];
      const remote = hba.filter((l) => !l.startsWith('local') && !/ 127\.0\.0\.1\/32 /.test(l));
      expect(remote.at(-1)).toMatch(/^host +all +all +0\.0\.0\.0\/0 +reject$/);
      const allowed = remote.slice(0, -1);
      expect(allowed.length).toBeGreaterThan(0);
      for (const l of allowed) {
        expect(l, g.name).toMatch(/^hostssl .* scram-sha-256$/);
        const cidr = l.split(/\s+/)[3]!;
        expect(prod.zones.map((z) => z.cidr)).toContain(cidr);
        expect(inCidr(cidr.split('/')[0]!, prod.environment.addressBlock)).toBe(true);
      }
      // Only the back zones of the data sites: HAProxy pairs and the other node.
      expect(new Set(allowed.map((l) => l.split(/\s+/)[3]))).toEqual(
        new Set(prod.zones.filter((z) => z.zone === 'back' && z.site !== 'DC3').map((z) => z.cidr)),
      );
    }
  });

  it('both nodes of a domain share scope, reach each other under pg_hba, and use only the etcd members of their own site and of the DC3 witness (never the other data site: issue 10)', () => {
    const dcs = prod.guests.filter((g) => g.cluster === 'pg-dcs');
    const members = dcs.map((g) => `${g.nics[0]!.ip}:2379`);
    expect(members).toHaveLength(3);
    expect(members).toContain(`${ip(witness, 'back')}:2379`);
    expect(witness.site).toBe('DC3');
    for (const d of pgDomains(prod)) {
      const [a, b] = pgNodes(prod, d).map((g) => ({ g, c: parse(of(g, '/etc/patroni/config.yml').content) }));
      const pairs: Array<[NonNullable<typeof a>, NonNullable<typeof b>]> = [
        [a!, b!],
        [b!, a!],
      ];
      for (const [x, y] of pairs) {
        expect(x.c.scope).toBe(y.c.scope);
        const own = dcs.find((m) => m.site === x.g.site)!;
        expect(x.c.etcd3.hosts).toEqual([`${own.nics[0]!.ip}:2379`, `${ip(witness, 'back')}:2379`]);
        expect(x.c.etcd3.use_proxies).toBe(true);
        expect(dcs.filter((m) => m.site === y.g.site).some((m) => x.c.etcd3.hosts.includes(`${m.nics[0]!.ip}:2379`))).toBe(false);
        const repl = (x.c.postgresql.pg_hba as string[]).filter((l) => l.startsWith('hostssl replication')).map((l) => l.split(/\s+/)[3]!);
        expect(repl.some((cidr) => inCidr(ip(y.g, 'back'), cidr))).toBe(true);
        expect(x.c.postgresql.connect_address).toBe(`${ip(x.g, 'back')}:5432`);
      }
    }
  });

  it('each node is a pgBackRest client of the DC3 repository over the backup plane, for its stanza only', () => {
    const repo = prod.guests.find((g) => g.name === prod.backup!.servers[0])!;
    for (const g of data) {
      const conf = of(g, '/etc/pgbackrest/pgbackrest.conf').content;
      expect(conf).toContain(`repo1-host=${ip(repo, 'backup')}\n`);
      expect(conf).toContain(`tls-server-address=${ip(g, 'backup')}\n`);
      expect(conf).toContain(`tls-server-auth=${repo.name}=${g.domain}\n`);
      expect(conf.match(/^\[(\w+)\]$/gm)).toEqual(['[global]', `[${g.domain}]`]);
    }
  });
});

describe('etcd DCS of production', () => {
  it('three members on three sites, the witness in DC3, one config each naming all three', () => {
    const members = guests(prod, (g) => g.cluster === 'pg-dcs');
    expect(members.map((g) => g.site).sort()).toEqual(['DC1', 'DC2', 'DC3']);
    for (const g of members) {
      const c = parse(of(g, '/etc/etcd/etcd.yml').content);
      expect(c.name).toBe(g.name);
      expect(c['initial-cluster'].split(',')).toHaveLength(3);
      for (const m of members) expect(c['initial-cluster']).toContain(`${m.name}=https://${ip(m, 'back')}:2380`);
      expect(c['client-transport-security']['client-cert-auth']).toBe(true);
      expect(of(g, '/etc/default/etcd').content).toContain('--config-file=/etc/etcd/etcd.yml');
    }
  });
});

describe('HAProxy of production (EXG_PCA_2, PCA_3)', () => {
  it('every haproxy guest checks /primary for writes, over TLS, on every data node of every domain', () => {
    const hs = guests(prod, (g) => g.role === 'haproxy');
    expect(hs).toHaveLength(4);
    for (const h of hs) {
      const cfg = of(h, '/etc/haproxy/haproxy.cfg').content;
      expect(cfg).toContain('http-check send meth GET uri /primary');
      for (const d of pgDomains(prod)) {
        expect(cfg).toContain(`backend ${d}_write`);
        for (const n of pgNodes(prod, d)) expect(cfg).toContain(`server ${n.name} ${ip(n, 'back')}:5432 check port 8008 check-ssl verify required`);
      }
      expect(cfg).toContain(`bind ${ip(h, 'back')}:5000\n`);
      expect(cfg).toContain(`bind ${ip(h, 'admin')}:8404\n`);
    }
  });
});

describe('WAF of production (EXG_WAF_1, TLS)', () => {
  const wafs = guests(prod, (g) => g.service === 'waf');

  it('ModSecurity on, CRS included, TLS 1.2+ only, upstreams = the ingress routers of its own site on 443, re-encrypted', () => {
    expect(wafs).toHaveLength(4);
    for (const w of wafs) {
      const nginx = of(w, '/etc/nginx/nginx.conf').content;
      const modsec = of(w, '/etc/nginx/modsecurity/main.conf').content;
      expect(nginx).toContain('modsecurity on;');
      expect(modsec).toContain('SecRuleEngine On');
      expect(modsec).toContain('Include /usr/share/modsecurity-crs/rules/*.conf');
      expect(nginx.match(/^ *ssl_protocols [^;]+;/gm)?.map((l) => l.trim())).toEqual(['ssl_protocols TLSv1.2 TLSv1.3;']);
      expect(nginx).not.toMatch(/TLSv1(\.1)?[ ;]/);
      expect(nginx).toContain(`listen ${ip(w, 'front')}:443 ssl;`);
      expect(nginx).toContain('proxy_ssl_verify on;');
      const upstreams = [...nginx.matchAll(/^ {4}server ([\d.]+):(\d+) /gm)].map((m) => `${m[1]}:${m[2]}`);
      const routers = prod.guests.filter((g) => g.service === 'openshift' && g.role === 'infra' && g.site === w.site).map((g) => `${ip(g, 'back')}:443`);
      expect(upstreams.sort()).toEqual(routers.sort());
      expect(routers).toHaveLength(3);
      // every upstream is a line of the flow matrix (waf-to-ingress, same-site)
      for (const u of upstreams)
        expect(
          prod.flowMatrix.some(
            (e) => e.flow === 'waf-to-ingress' && e.source.name === w.name && `${e.destination.ip}:${e.port}` === u && e.destination.site === w.site,
          ),
        ).toBe(true);
      expect(of(w, '/etc/nginx/modsecurity/positive-model.conf').content).toContain('EXG_WAF_1');
    }
  });
});

describe('pgBackRest repository of production (EXG_PRA_1, EXG_PRA_2)', () => {
  it('on the first backup server of DC3: aes-256-cbc, cipher pass a placeholder, retention from the model, 0600', () => {
    const [first, ...others] = prod.backup!.servers.map((n) => prod.guests.find((g) => g.name === n)!);
    expect(first!.site).toBe('DC3');
    const f = of(first!, '/etc/pgbackrest/pgbackrest.conf');
    expect(f.permissions).toBe('0600');
    expect(f.content).toContain('repo1-cipher-type=aes-256-cbc\n');
    expect(f.content).toMatch(/^repo1-cipher-pass=@@secret:production\/backup-dc3\/pgbackrest-repo1#cipher_pass@@$/m);
    const r = prod.backup!.retention;
    expect(pgbackrestRetention(r)).toEqual({ full: r.weekly, diff: r.daily });
    expect(f.content).toContain(`repo1-retention-full=${r.weekly}\n`);
    expect(f.content).toContain(`repo1-retention-diff=${r.daily}\n`);
    for (const d of pgDomains(prod)) expect(f.content).toContain(`[${d}]`);
    for (const o of others) expect(files.get(o!.name)!.has('/etc/pgbackrest/pgbackrest.conf')).toBe(false);
  });
});

describe('monitoring of production (EXG_MON_4, EXG_DIS_1.5)', () => {
  const mons = guests(prod, (g) => g.service === 'monitoring');

  it('non-event rule per domain, scrape targets and probes all on lines of the flow matrix', () => {
    expect(mons).toHaveLength(4);
    for (const m of mons) {
      const rules = parse(of(m, '/etc/prometheus/rules/hds-alerts.yml').content);
      const nonEvents = rules.groups.find((g: { name: string }) => g.name === 'hds-non-events').rules;
      expect(nonEvents.map((r: { alert: string }) => r.alert).sort()).toEqual(
        pgDomains(prod)
          .map((d) => `NoWriteActivity_${d}`)
          .sort(),
      );
      for (const r of nonEvents) expect(r.annotations.requirements).toBe('EXG_MON_4');
      const prom = parse(of(m, '/etc/prometheus/prometheus.yml').content);
      type Job = { job_name: string; metrics_path: string; static_configs: Array<{ targets: string[] }> };
      const jobs = new Map<string, string[]>(prom.scrape_configs.map((j: Job) => [j.job_name, j.static_configs.flatMap((s) => s.targets)]));
      expect(jobs.get('patroni')).toHaveLength(12);
      expect(jobs.get('haproxy')).toHaveLength(4);
      expect(jobs.get('postgres')).toHaveLength(12);
      expect(jobs.get('synthetic_health')).toHaveLength(4);
      // Every Kafka broker (6) and KRaft controller (5), on its admin address (flow monitoring-kafka).
      const kafka = prod.guests.filter((g) => g.service === 'kafka');
      expect(kafka).toHaveLength(11);
      expect([...jobs.get('kafka')!].sort()).toEqual(kafka.map((g) => `${ip(g, 'admin')}:9404`).sort());
      const allowed = new Set(prod.flowMatrix.filter((e) => e.source.name === m.name).map((e) => `${e.destination.ip}:${e.port}`));
      // Every scraped target (probe jobs' targets are URLs, checked below; the blackbox exporter and the node exporter of this guest are local).
      const local = new Set([`${ip(m, 'admin')}:9100`, `${ip(m, 'admin')}:9115`]);
      const scraped = prom.scrape_configs.filter((j: Job) => j.metrics_path !== '/probe').map((j: Job) => j.job_name);
      expect(scraped).toEqual(expect.arrayContaining(['patroni', 'haproxy', 'postgres', 'node', 'waf_log_relay', 'kafka']));
      for (const job of scraped)
        for (const target of jobs.get(job)!) if (!local.has(target)) expect(allowed.has(target), `${m.name} ${job} ${target}`).toBe(true);
      for (const url of jobs.get('synthetic_health')!) expect(allowed.has(`${new URL(url).hostname}:${new URL(url).port || 443}`), url).toBe(true);
      expect(of(m, '/etc/prometheus/blackbox.yml').content).toContain('min_version: TLS12');
    }
  });
});

describe('secrets', () => {
  it('no secret value in any environment: only placeholders, and every file holding one is 0600', () => {
    const findings: string[] = [];
    let placeholders = 0;
    for (const [env, t] of ev.topologies) {
      for (const g of guests(t, (x) => x.service !== 'openshift')) {
        for (const f of written(t, g).values()) {
          for (const x of findInlineSecrets(f.content)) findings.push(`${env} ${g.name} ${f.path}: ${x.excerpt}`);
          const refs = [...f.content.matchAll(new RegExp(SECRET_PLACEHOLDER.source, 'g'))];
          placeholders += refs.length;
          if (refs.length) expect(f.permissions, `${g.name} ${f.path}`).toBe('0600');
          for (const r of refs) expect(r[1]!.startsWith(`${env}/`), r[0]).toBe(true);
        }
      }
    }
    expect(findings).toEqual([]);
    expect(placeholders).toBeGreaterThan(100);
  });
});

describe('one adapter, two profiles', () => {
  it('production: every rendered file is the one cloud-init writes, byte for byte, with its owner and mode', () => {
    let n = 0;
    for (const [env, t] of ev.topologies)
      for (const g of guests(t, (x) => x.service !== 'openshift')) {
        const ud = written(t, g);
        for (const f of guestFiles(t, g, PRODUCTION)) {
          const w = ud.get(f.path);
          expect(w?.content, `${env} ${g.name} ${f.path}`).toBe(f.content);
          expect(w?.owner, `${env} ${g.name} ${f.path}`).toBe(f.owner ? `${f.owner}:${f.owner}` : 'root:root');
          n++;
        }
      }
    expect(n).toBeGreaterThan(300);
  });

  it('the lab profile differs from production only by the roots and the addresses it defines', () => {
    const lab = ev.topologies.get('lab')!;
    const siteAddress = (site: string) => lab.zones.find((z) => z.site === site && z.zone === 'back')!.firstHost;
    const profile = labProfile({ stateDir: '/srv/hds-lab', siteAddress });
    // Production → lab substitution: each guest's root, then each NIC address → its site's namespace address.
    const substitutions: Array<[RegExp, string]> = [];
    for (const g of lab.guests)
      for (const nic of g.nics) substitutions.push([new RegExp(`(?<![\\d.])${nic.ip.replaceAll('.', '\\.')}(?![\\d])`, 'g'), siteAddress(g.site)]);
    let compared = 0;
    for (const g of guests(lab, () => true)) {
      const prod = guestFiles(lab, g, PRODUCTION);
      const ours = guestFiles(lab, g, profile);
      expect(ours.map((f) => f.path)).toEqual(prod.map((f) => `/srv/hds-lab/guests/${g.name}${f.path}`));
      for (const [i, f] of prod.entries()) {
        // Roots: a production path of any guest becomes that guest's path under the lab root.
        const rooted = ours[i]!.content;
        let mapped = f.content;
        for (const [re, to] of substitutions) mapped = mapped.replace(re, to);
        // Fencing is a profile field: production's watchdog block is the lab's `mode: off`.
        mapped = mapped.replace(/^watchdog:\n {2}mode: required\n {2}device: \S+\n {2}safety_margin: \d+\n/m, 'watchdog:\n  mode: off\n');
        let unrooted = rooted.replace(/\/srv\/hds-lab\/guests\/[a-z0-9-]+/g, '');
        // Ceph: the lab profile's documented sizing and key-service lines (docs/storage.md): a fixed
        // BlueStore cache on sparse-file OSDs, low free-space thresholds, no PG autoscaler, 8 PGs a
        // pool, and the `testing` SSE key service instead of KMIP — nothing else may differ.
        if (f.path.endsWith('/ceph.conf')) {
          const labOnly =
            /^(mon_data_avail_(warn|crit)|bluestore_cache_autotune|bluestore_cache_size|bluestore_block_create|bluestore_block_size|rgw_crypt_[a-z0-9_]+) = .*\n/gm;
          mapped = mapped.replace(labOnly, '').replace('osd_pool_default_pg_autoscale_mode = on', 'osd_pool_default_pg_autoscale_mode = off');
          unrooted = unrooted.replace(labOnly, '');
        }
        if (f.path.endsWith('/hds-bootstrap.json')) {
          mapped = mapped.replace(/"pgNum": \d+/g, '"pgNum": N');
          unrooted = unrooted.replace(/"pgNum": \d+/g, '"pgNum": N');
        }
        expect(unrooted, `${g.name} ${f.path}`).toBe(mapped);
        expect(ours[i]!.owner).toBe(f.owner);
        expect(ours[i]!.mode).toBe(f.mode);
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(15);
  });

  it('every environment renders its service files; a WAF without an ingress router fronts the reference service', () => {
    for (const [env, t] of ev.topologies) {
      for (const g of guests(t, (x) => x.service === 'waf')) {
        const input = wafInput(t, PRODUCTION, g);
        const ingress = t.guests.some((x) => x.service === 'openshift' && x.role === 'infra' && x.site === g.site);
        expect(input.upstreamTls !== undefined, `${env} ${g.name}`).toBe(ingress);
      }
      for (const g of guests(t, isPgData)) expect(configFor(t, g).map((f) => f.path)).toContain('/etc/patroni/config.yml');
    }
  });
});

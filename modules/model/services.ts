/**
 * Service placement rules: from an environment's service declarations to the guests
 * they need, site by site. One function per service kind; each returns guest drafts
 * (no addresses, no hypervisor node yet) and the logical service instances.
 */
import { DCS_CLUSTER, type GuestRole, KAFKA_CLUSTER } from './roles.ts';
import type { Guest, ServiceInstance, ServiceKind } from './topology.ts';
import type { EnvironmentDoc, GuestSize, Zone } from './types.ts';

export type GuestDraft = Omit<Guest, 'nics' | 'placement'> & {
  /** Zone of the service NIC. */
  zone: Zone;
  /** Holds data that is backed up over the backup network. */
  holdsData: boolean;
  /** JSON path of the declaration, for diagnostics. */
  declaredAt: Array<string | number>;
};

export interface ServiceExpansion {
  guests: GuestDraft[];
  services: ServiceInstance[];
}

const lower = (site: string) => site.toLowerCase();
const seq = (n: number) => String(n).padStart(2, '0');

interface DraftInput {
  env: string;
  service: ServiceKind;
  role: GuestRole;
  cluster: string;
  site: string;
  index: number;
  size: GuestSize;
  zone: Zone;
  hosting?: Guest['hosting'];
  holdsData?: boolean;
  antiAffinityGroup?: string;
  domain?: string;
  declaredAt: Array<string | number>;
  /** Name stem override (default: `<service>-<role>`). */
  stem?: string;
}

function draft(i: DraftInput): GuestDraft {
  const stem = i.stem ?? `${i.service}-${i.role}`;
  const g: GuestDraft = {
    name: `${i.env}-${lower(i.site)}-${stem}-${seq(i.index)}`,
    service: i.service,
    role: i.role,
    cluster: i.cluster,
    site: i.site,
    hosting: i.hosting ?? 'vm',
    size: { ...i.size },
    zone: i.zone,
    holdsData: i.holdsData ?? false,
    declaredAt: i.declaredAt,
  };
  if (i.antiAffinityGroup) g.antiAffinityGroup = i.antiAffinityGroup;
  if (i.domain) g.domain = i.domain;
  return g;
}

function repeat<T>(n: number, f: (index: number) => T): T[] {
  return Array.from({ length: n }, (_, k) => f(k + 1));
}

/** A role replicated `perSite` times on each listed site, members of a site kept apart. */
function perSiteRole(
  env: string,
  service: ServiceKind,
  role: GuestRole,
  sites: string[],
  perSite: number,
  size: GuestSize,
  zone: Zone,
  declaredAt: Array<string | number>,
  extra: Partial<DraftInput> = {},
): ServiceExpansion {
  const guests: GuestDraft[] = [];
  const services: ServiceInstance[] = [];
  sites.forEach((site, s) => {
    const cluster = `${service}-${lower(site)}`;
    const members = repeat(perSite, (index) =>
      draft({
        env,
        service,
        role,
        cluster,
        site,
        index,
        size,
        zone,
        antiAffinityGroup: cluster,
        declaredAt: [...declaredAt, 'sites', s],
        ...extra,
      }),
    );
    guests.push(...members);
    services.push({
      id: cluster,
      kind: service,
      sites: [site],
      members: members.map((m) => m.name),
      summary: `${perSite} ${role}${perSite > 1 ? 's' : ''} on ${site}`,
    });
  });
  return { guests, services };
}

export function expandServices(doc: EnvironmentDoc): ServiceExpansion {
  const env = doc.name;
  const s = doc.services;
  const parts: ServiceExpansion[] = [];
  const at = (name: string) => ['services', name];

  if (s.waf) {
    const w = perSiteRole(env, 'waf', 'node', s.waf.sites, s.waf.perSite, s.waf.node, 'front', at('waf'));
    for (const svc of w.services)
      svc.summary = `${svc.members.length} WAF ${s.waf.mode}, TLS termination ${s.waf.terminatesTls ? 'on' : 'off'}, ${svc.sites[0]}`;
    parts.push(w);
  }
  if (s.bastion) parts.push(perSiteRole(env, 'bastion', 'node', s.bastion.sites, s.bastion.perSite, s.bastion.node, 'admin', at('bastion')));
  if (s.openshift) {
    const o = s.openshift;
    o.sites.forEach((site, k) => {
      const cluster = `ocp-${lower(site)}`;
      const declaredAt = [...at('openshift'), 'sites', k];
      const roles: Array<{ role: GuestRole; spec: typeof o.masters; group: string | undefined }> = [
        { role: 'master', spec: o.masters, group: `${cluster}-masters` },
        { role: 'infra', spec: o.infra, group: `${cluster}-infra` },
        { role: 'worker', spec: o.workers, group: undefined },
      ];
      const guests = roles.flatMap(({ role, spec, group }) =>
        repeat(spec.count, (index) =>
          draft({
            env,
            service: 'openshift',
            role,
            cluster,
            site,
            index,
            size: spec,
            zone: 'back',
            stem: `ocp-${role}`,
            declaredAt,
            ...(group ? { antiAffinityGroup: group } : {}),
          }),
        ),
      );
      parts.push({
        guests,
        services: [
          {
            id: cluster,
            kind: 'openshift',
            sites: [site],
            members: guests.map((g) => g.name),
            summary: `${o.distribution.toUpperCase()} mono-site cluster: ${o.masters.count} masters, ${o.infra.count} infra, ${o.workers.count} workers`,
          },
        ],
      });
    });
  }
  if (s.postgresql) {
    const p = s.postgresql;
    const guests: GuestDraft[] = [];
    const services: ServiceInstance[] = [];
    // One DCS (etcd) per environment: a member beside the data nodes in each primary site and the witness.
    const dcsSites = [...new Set(p.domains.flatMap((d) => [d.primarySite, d.standbySite]))].sort();
    const etcd = [...dcsSites, p.witnessSite].map((site, k) =>
      draft({
        env,
        service: 'postgresql',
        role: site === p.witnessSite ? 'witness' : 'etcd',
        cluster: DCS_CLUSTER,
        site,
        index: 1,
        size: p.witness,
        zone: 'back',
        stem: 'pg-etcd',
        antiAffinityGroup: DCS_CLUSTER,
        declaredAt: k === dcsSites.length ? [...at('postgresql'), 'witnessSite'] : [...at('postgresql'), 'domains'],
      }),
    );
    guests.push(...etcd);
    services.push({
      id: DCS_CLUSTER,
      kind: 'postgresql',
      sites: [...dcsSites, p.witnessSite],
      members: etcd.map((g) => g.name),
      summary: `etcd quorum for Patroni: ${dcsSites.join(' + ')} + witness ${p.witnessSite}`,
    });
    p.domains.forEach((d, k) => {
      const cluster = `pg-${d.name}`;
      const declaredAt = [...at('postgresql'), 'domains', k];
      const members = [d.primarySite, d.standbySite].map((site, n) =>
        draft({
          env,
          service: 'postgresql',
          role: n === 0 ? 'primary' : 'standby',
          cluster,
          site,
          index: n + 1,
          size: p.node,
          zone: 'back',
          stem: `pg-${d.name}`,
          holdsData: true,
          domain: d.name,
          antiAffinityGroup: cluster,
          declaredAt,
        }),
      );
      guests.push(...members);
      services.push({
        id: cluster,
        kind: 'postgresql',
        sites: [d.primarySite, d.standbySite],
        members: members.map((m) => m.name),
        summary: `domain ${d.name}: primary ${d.primarySite}, ${p.replication} standby ${d.standbySite}, witness ${p.witnessSite}`,
      });
    });
    // A HAProxy pair per data site routes writes to the Patroni leader and reads to replicas.
    dcsSites.forEach((site) => {
      const cluster = `pglb-${lower(site)}`;
      const lbs = repeat(2, (index) =>
        draft({
          env,
          service: 'postgresql',
          role: 'haproxy',
          cluster,
          site,
          index,
          size: { vcpu: 2, ramGiB: 4, diskGiB: 20 },
          zone: 'back',
          stem: 'pg-haproxy',
          antiAffinityGroup: cluster,
          declaredAt: [...at('postgresql'), 'domains'],
        }),
      );
      guests.push(...lbs);
      services.push({
        id: cluster,
        kind: 'postgresql',
        sites: [site],
        members: lbs.map((g) => g.name),
        summary: `HAProxy pair on ${site}: write endpoint follows the Patroni leader`,
      });
    });
    parts.push({ guests, services });
  }
  // KRaft controllers are expanded after every other service (appended below): adding them left
  // the addresses and placements of the guests declared before them unchanged.
  let kafkaControllers: ServiceExpansion | undefined;
  if (s.kafka) {
    const k = s.kafka;
    const x = perSiteRole(env, 'kafka', 'broker', k.sites, k.brokersPerSite, k.node, 'back', at('kafka'), { holdsData: true });
    const members = x.guests.map((g) => g.name);
    for (const g of x.guests) g.cluster = KAFKA_CLUSTER;
    const c = k.controllers;
    // Controller-only nodes: perSite in each broker site, one tie-breaker in the witness site (ADR 0007).
    const controllerSites = [...k.sites.flatMap((site) => Array<string>(c.perSite).fill(site)), ...(c.witnessSite ? [c.witnessSite] : [])];
    const perSiteIndex = new Map<string, number>();
    const controllers = controllerSites.map((site) => {
      const index = (perSiteIndex.get(site) ?? 0) + 1;
      perSiteIndex.set(site, index);
      return draft({
        env,
        service: 'kafka',
        role: 'controller',
        cluster: KAFKA_CLUSTER,
        site,
        index,
        size: c.node,
        zone: 'back',
        antiAffinityGroup: `${KAFKA_CLUSTER}-controllers`,
        declaredAt: site === c.witnessSite ? [...at('kafka'), 'controllers', 'witnessSite'] : [...at('kafka'), 'controllers'],
      });
    });
    const quorum = [...k.sites.map((site) => `${c.perSite} on ${site}`), ...(c.witnessSite ? [`1 on ${c.witnessSite}`] : [])].join(' + ');
    parts.push({
      guests: x.guests,
      services: [
        {
          id: KAFKA_CLUSTER,
          kind: 'kafka',
          sites: k.sites,
          members,
          summary: `${members.length} brokers stretched over ${k.sites.join(' + ')} (racks = sites)`,
        },
      ],
    });
    kafkaControllers = {
      guests: controllers,
      services: [
        {
          id: `${KAFKA_CLUSTER}-controllers`,
          kind: 'kafka',
          sites: [...new Set(controllerSites)],
          members: controllers.map((g) => g.name),
          summary: `KRaft controller quorum: ${quorum}`,
        },
      ],
    };
  }
  if (s.ceph) {
    const c = s.ceph.stretched;
    const guests: GuestDraft[] = [];
    c.sites.forEach((site, k) => {
      guests.push(
        ...repeat(c.osdNodesPerSite, (index) =>
          draft({
            env,
            service: 'ceph',
            role: 'osd',
            cluster: 'ceph',
            site,
            index,
            size: c.node,
            zone: 'back',
            hosting: 'baremetal',
            holdsData: true,
            stem: 'ceph-osd',
            declaredAt: ['services', 'ceph', 'stretched', 'sites', k],
          }),
        ),
      );
    });
    guests.push(
      draft({
        env,
        service: 'ceph',
        role: 'witness',
        cluster: 'ceph',
        site: c.witnessSite,
        index: 1,
        size: c.witness,
        zone: 'back',
        stem: 'ceph-mon-witness',
        declaredAt: ['services', 'ceph', 'stretched', 'witnessSite'],
      }),
    );
    const services: ServiceInstance[] = [
      {
        id: 'ceph',
        kind: 'ceph',
        sites: [...c.sites, c.witnessSite],
        members: guests.map((g) => g.name),
        summary: `stretched ${c.sites.join(' + ')} (${c.osdNodesPerSite}+${c.osdNodesPerSite}), tie-breaker monitor on ${c.witnessSite}`,
      },
    ];
    const e = s.ceph.external;
    if (e) {
      const ext = repeat(e.nodes, (index) =>
        draft({
          env,
          service: 'ceph',
          role: 'external',
          cluster: 'ceph-external',
          site: e.site,
          index,
          size: e.node,
          zone: 'backup',
          hosting: 'baremetal',
          holdsData: true,
          stem: 'ceph-ext',
          declaredAt: ['services', 'ceph', 'external'],
        }),
      );
      guests.push(...ext);
      services.push({
        id: 'ceph-external',
        kind: 'ceph',
        sites: [e.site],
        members: ext.map((g) => g.name),
        summary: `external cluster on ${e.site} receiving backups and object replicas`,
      });
    }
    parts.push({ guests, services });
  }
  if (s.hsm) {
    const h = s.hsm;
    const x = perSiteRole(env, 'hsm', 'appliance', h.sites, h.perSite, { vcpu: 0, ramGiB: 0, diskGiB: 0 }, 'back', at('hsm'), { hosting: 'appliance' });
    for (const svc of x.services) svc.summary = `HSM cluster of ${svc.members.length} (PKCS#11) on ${svc.sites[0]}, key domains: ${h.keyDomains.join(', ')}`;
    parts.push(x);
  }
  if (s.monitoring) parts.push(perSiteRole(env, 'monitoring', 'node', s.monitoring.sites, s.monitoring.perSite, s.monitoring.node, 'admin', at('monitoring')));
  if (s.backup) {
    const b = s.backup;
    const x = perSiteRole(env, 'backup', 'server', [b.site], b.servers, b.node, 'backup', at('backup'), { holdsData: true });
    for (const svc of x.services)
      svc.summary = `${b.servers} backup servers on ${b.site}, ${b.encryption} encrypted, retention ${b.retention.daily}d/${b.retention.weekly}w/${b.retention.monthly}m/${b.retention.yearly}y${b.offlineCopy ? ', offline copy' : ''}`;
    parts.push(x);
  }
  if (kafkaControllers) parts.push(kafkaControllers);
  return { guests: parts.flatMap((p) => p.guests), services: parts.flatMap((p) => p.services) };
}

/** Sites a service declaration names, with the JSON path of each, for site checks. */
export function declaredSites(doc: EnvironmentDoc): Array<{ site: string; path: Array<string | number> }> {
  const out: Array<{ site: string; path: Array<string | number> }> = [];
  const s = doc.services;
  const list = (sites: string[] | undefined, path: Array<string | number>) =>
    sites?.forEach((site, k) => {
      out.push({ site, path: [...path, k] });
    });
  list(s.waf?.sites, ['services', 'waf', 'sites']);
  list(s.bastion?.sites, ['services', 'bastion', 'sites']);
  list(s.openshift?.sites, ['services', 'openshift', 'sites']);
  list(s.kafka?.sites, ['services', 'kafka', 'sites']);
  if (s.kafka?.controllers?.witnessSite) out.push({ site: s.kafka.controllers.witnessSite, path: ['services', 'kafka', 'controllers', 'witnessSite'] });
  list(s.hsm?.sites, ['services', 'hsm', 'sites']);
  list(s.monitoring?.sites, ['services', 'monitoring', 'sites']);
  if (s.postgresql) {
    out.push({ site: s.postgresql.witnessSite, path: ['services', 'postgresql', 'witnessSite'] });
    s.postgresql.domains.forEach((d, k) => {
      out.push({ site: d.primarySite, path: ['services', 'postgresql', 'domains', k, 'primarySite'] });
      out.push({ site: d.standbySite, path: ['services', 'postgresql', 'domains', k, 'standbySite'] });
    });
  }
  if (s.ceph) {
    list(s.ceph.stretched.sites, ['services', 'ceph', 'stretched', 'sites']);
    out.push({ site: s.ceph.stretched.witnessSite, path: ['services', 'ceph', 'stretched', 'witnessSite'] });
    if (s.ceph.external) out.push({ site: s.ceph.external.site, path: ['services', 'ceph', 'external', 'site'] });
  }
  if (s.backup) out.push({ site: s.backup.site, path: ['services', 'backup', 'site'] });
  return out;
}

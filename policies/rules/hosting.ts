/**
 * Hosting and sovereignty: where the sites are, how far apart, their tier and HDS activities,
 * active/active primaries, and production's dedicated hardware (EXG_PSE_1/2/4/5, EXG_PRA_1).
 */

import { BACKUP_SITE_MIN_DISTANCE_KM } from '../../modules/model/geo.ts';
import { isPgData } from '../../modules/model/roles.ts';
import type { Topology } from '../../modules/model/topology.ts';
import { envDoc, isProduction, topo } from '../evidence/model.ts';
import { ofType, tfEvidence, value } from '../evidence/terraform.ts';
import { anssi, cctp, hds, type PolicyInput, type Rule, secnum, t, type Violation } from '../types.ts';

/** EU member states, ISO 3166-1 alpha-2. */
const EU_COUNTRIES = new Set([
  'AT',
  'BE',
  'BG',
  'HR',
  'CY',
  'CZ',
  'DK',
  'EE',
  'FI',
  'FR',
  'DE',
  'GR',
  'HU',
  'IE',
  'IT',
  'LV',
  'LT',
  'LU',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SK',
  'SI',
  'ES',
  'SE',
]);

const TIERS = ['I', 'II', 'III', 'III+', 'IV'];
const tierRank = (tier: string) =>
  TIERS.indexOf(
    tier
      .trim()
      .toUpperCase()
      .replace(/^TIER\s*/, ''),
  );

const site = (tp: Topology, id: string) => tp.sites.find((s) => s.id === id);
const siteAt = (tp: Topology, id: string) => tp.sites.findIndex((s) => s.id === id);
/** Environments whose data is real health data (production, or a copy of it). */
const holdsRealHealthData = (input: PolicyInput) =>
  input.topology?.environment.dataSource === 'production' || input.topology?.environment.dataSource === 'pseudonymised';

const sitesInEu: Rule = {
  id: 'HOST-001',
  set: 'hosting',
  severity: 'critical',
  title: t('Sites dans l’Union européenne', 'Sites in the European Union'),
  description: t(
    'Lit le pays (ISO 3166-1) de chaque site utilisé par l’environnement dans la topologie étendue.',
    'Reads the country (ISO 3166-1) of every site the environment uses in the expanded topology.',
  ),
  remediation: t('Héberger l’environnement uniquement dans des sites situés dans l’UE.', 'Host the environment only on sites located in the EU.'),
  requirements: [
    ...cctp('MESDMP-3.1.3.1-1', 'EXG_PCA_8', 'CAIH-AP-1', 'CAIH-3-2', 'CAIH-4.1-2', 'CAIH-S3-4', 'CAIH-6.2-1', 'CAIH-SOV-4'),
    ...secnum('19'),
    ...hds('référentiel 2024 — localisation EEE'),
  ],
  needs: ['topology'],
  check: (input) =>
    input
      .topology!.sites.filter((s) => !EU_COUNTRIES.has(s.country.toUpperCase()))
      .map((s) => ({
        subject: s.id,
        message: t(`Le site ${s.id} est en ${s.country}, hors UE.`, `Site ${s.id} is in ${s.country}, outside the EU.`),
        evidence: [topo(input.topology!, ['sites', siteAt(input.topology!, s.id), 'country'], s.country)],
      })),
  fixtures: {
    pass: { description: 'production sites in FR', mutate: () => {} },
    fail: {
      description: 'DC3 moved to CH',
      mutate: (i) => {
        site(i.topology!, 'DC3')!.country = 'CH';
      },
    },
  },
};

const healthDataInFrance: Rule = {
  id: 'HOST-002',
  set: 'hosting',
  severity: 'high',
  title: t('Données de santé réelles hébergées en France', 'Real health data hosted in France'),
  description: t(
    'Pour un environnement dont la source de données est la production ou une copie pseudonymisée, lit le pays de chaque site : France métropolitaine ou DROM (FR, GP, MQ, GF, RE, YT).',
    'For an environment fed with production or pseudonymised data, reads each site’s country: metropolitan France or overseas departments (FR, GP, MQ, GF, RE, YT).',
  ),
  remediation: t(
    'Placer les environnements portant des données de santé dans des sites en France.',
    'Place environments holding health data on sites in France.',
  ),
  requirements: [...cctp('MESDMP-3.1.3.1-1', 'EXG_PSE_1', 'EXG_PCA_8'), ...hds('référentiel 2024 — localisation EEE')],
  needs: ['topology'],
  appliesTo: holdsRealHealthData,
  check: (input) =>
    input
      .topology!.sites.filter((s) => !['FR', 'GP', 'MQ', 'GF', 'RE', 'YT'].includes(s.country.toUpperCase()))
      .map((s) => ({
        subject: s.id,
        message: t(
          `Le site ${s.id} (${s.country}) porte des données de santé hors de France.`,
          `Site ${s.id} (${s.country}) holds health data outside France.`,
        ),
        evidence: [topo(input.topology!, ['sites', siteAt(input.topology!, s.id), 'country'], s.country)],
      })),
  fixtures: {
    pass: { description: 'production in FR', mutate: () => {} },
    fail: {
      description: 'DC3 moved to BE',
      mutate: (i) => {
        site(i.topology!, 'DC3')!.country = 'BE';
      },
    },
  },
};

const backupSiteDistance: Rule = {
  id: 'HOST-003',
  set: 'hosting',
  severity: 'critical',
  title: t('Site de secours à 150 km au moins de chaque site principal', 'Backup site at least 150 km from every primary'),
  description: t(
    'Lit les distances orthodromiques calculées depuis les coordonnées des sites (topologie) entre chaque site de secours et chaque site principal.',
    'Reads the great-circle distances computed from the sites’ coordinates (topology) between every backup site and every primary.',
  ),
  remediation: t(
    `Choisir un site de secours à ${BACKUP_SITE_MIN_DISTANCE_KM} km au moins des deux sites principaux.`,
    `Choose a backup site at least ${BACKUP_SITE_MIN_DISTANCE_KM} km from both primaries.`,
  ),
  requirements: [...cctp('EXG_PSE_1', 'EXG_PRA_1', 'MESDMP-3.2.3.2-1', 'CAIH-P2-3'), ...secnum('17')],
  needs: ['topology'],
  check: (input) => {
    const tp = input.topology!;
    const out: Violation[] = [];
    for (const b of tp.sites.filter((s) => s.role === 'backup')) {
      for (const p of tp.sites.filter((s) => s.role === 'primary')) {
        const km = b.distancesKm[p.id];
        if (km === undefined || km < BACKUP_SITE_MIN_DISTANCE_KM) {
          out.push({
            subject: `${b.id}-${p.id}`,
            message: t(
              `Le site de secours ${b.id} est à ${km ?? '?'} km de ${p.id} (minimum ${BACKUP_SITE_MIN_DISTANCE_KM} km).`,
              `Backup site ${b.id} is ${km ?? '?'} km from ${p.id} (minimum ${BACKUP_SITE_MIN_DISTANCE_KM} km).`,
            ),
            evidence: [topo(tp, ['sites', siteAt(tp, b.id), 'distancesKm', p.id], km)],
          });
        }
      }
    }
    if (!tp.sites.some((s) => s.role === 'backup') && tp.environment.class === 'production') {
      out.push({
        subject: 'backup-site',
        message: t('La production n’utilise aucun site de secours.', 'Production uses no backup site.'),
        evidence: [
          envDoc(
            input,
            ['sites'],
            tp.sites.map((s) => s.id),
          ),
        ],
      });
    }
    return out;
  },
  fixtures: {
    pass: { description: 'DC3 about 590 km away', mutate: () => {} },
    fail: {
      description: 'DC3 moved to 80 km of DC1',
      mutate: (i) => {
        const dc3 = site(i.topology!, 'DC3')!;
        dc3.distancesKm.DC1 = 80;
      },
    },
  },
};

const backupSiteHdsActivity6: Rule = {
  id: 'HOST-004',
  set: 'hosting',
  severity: 'high',
  title: t('Site de secours certifié HDS activité 6', 'Backup site HDS-certified for activity 6'),
  description: t(
    'Lit les activités HDS déclarées de chaque site de secours (plateforme, via la topologie).',
    'Reads the declared HDS activities of every backup site (platform, through the topology).',
  ),
  remediation: t(
    'Retenir un site de secours certifié HDS pour l’activité 6 (sauvegarde externalisée).',
    'Use a backup site HDS-certified for activity 6 (externalised backups).',
  ),
  requirements: [...cctp('EXG_PRA_1', 'CAIH-P2-3'), ...hds('activité 6 (sauvegarde externalisée)')],
  needs: ['topology'],
  check: (input) =>
    input
      .topology!.sites.filter((s) => s.role === 'backup' && !s.hdsActivities.includes(6))
      .map((s) => ({
        subject: s.id,
        message: t(`Le site de secours ${s.id} n’est pas certifié HDS pour l’activité 6.`, `Backup site ${s.id} is not HDS-certified for activity 6.`),
        evidence: [topo(input.topology!, ['sites', siteAt(input.topology!, s.id), 'hdsActivities'], s.hdsActivities)],
      })),
  fixtures: {
    pass: { description: 'DC3 holds activities 1-6', mutate: () => {} },
    fail: {
      description: 'DC3 without activity 6',
      mutate: (i) => {
        site(i.topology!, 'DC3')!.hdsActivities = [1, 2, 3, 4, 5];
      },
    },
  },
};

const siteTier: Rule = {
  id: 'HOST-005',
  set: 'hosting',
  severity: 'high',
  title: t('Sites Tier III+ au moins', 'Sites at least Tier III+'),
  description: t(
    'Lit le tier Uptime Institute déclaré de chaque site (I < II < III < III+ < IV).',
    'Reads the declared Uptime Institute tier of every site (I < II < III < III+ < IV).',
  ),
  remediation: t('N’héberger que dans des sites certifiés Tier III+ ou IV.', 'Host only in Tier III+ or Tier IV certified sites.'),
  requirements: [...cctp('EXG_PCA_4', 'EXG_PSE_1'), ...secnum('11')],
  needs: ['topology'],
  check: (input) =>
    input
      .topology!.sites.filter((s) => tierRank(s.tier) < tierRank('III+'))
      .map((s) => ({
        subject: s.id,
        message: t(`Le site ${s.id} est Tier ${s.tier}, en dessous de III+.`, `Site ${s.id} is Tier ${s.tier}, below III+.`),
        evidence: [topo(input.topology!, ['sites', siteAt(input.topology!, s.id), 'tier'], s.tier)],
      })),
  fixtures: {
    pass: { description: 'all sites III+', mutate: () => {} },
    fail: {
      description: 'DC2 Tier II',
      mutate: (i) => {
        site(i.topology!, 'DC2')!.tier = 'II';
      },
    },
  },
};

const activeActive: Rule = {
  id: 'HOST-006',
  set: 'hosting',
  severity: 'high',
  title: t('Production active/active sur deux sites principaux', 'Production active/active on two primary sites'),
  description: t(
    'En production : deux sites principaux utilisés ; un cluster OpenShift, des WAF et des nœuds PostgreSQL dans chacun ; des primaires PostgreSQL dans chacun (les deux sites écrivent) ; les mêmes workers OpenShift de part et d’autre (chaque site porte seul la charge).',
    'In production: two primary sites used; an OpenShift cluster, WAFs and PostgreSQL nodes in each; PostgreSQL primaries in each (both sites write); the same OpenShift workers on both sides (each site carries the load alone).',
  ),
  remediation: t(
    'Répartir les services sur DC1 et DC2 et alterner les primaires par domaine.',
    'Spread services over DC1 and DC2 and alternate primaries per domain.',
  ),
  requirements: [...cctp('EXG_DIS_2.4', 'EXG_PSE_1', 'MESDMP-3.2.3.3.1-1', 'MESDMP-3.2.3.2-1', 'MESDMP-3.2.3.3.4.1-1'), ...secnum('17')],
  needs: ['topology'],
  appliesTo: isProduction,
  check: (input) => {
    const tp = input.topology!;
    const primaries = tp.sites.filter((s) => s.role === 'primary').map((s) => s.id);
    const out: Violation[] = [];
    const ev = envDoc(input, ['services']);
    if (primaries.length < 2)
      out.push({
        subject: 'primaries',
        message: t(`Un seul site principal utilisé (${primaries.join(', ')}).`, `Only one primary site is used (${primaries.join(', ')}).`),
        evidence: [
          envDoc(
            input,
            ['sites'],
            tp.sites.map((s) => s.id),
          ),
        ],
      });
    for (const p of primaries) {
      for (const kind of ['openshift', 'waf', 'postgresql'] as const) {
        if (!tp.guests.some((g) => g.service === kind && g.site === p))
          out.push({ subject: `${kind}-${p}`, message: t(`Aucun ${kind} sur ${p}.`, `No ${kind} on ${p}.`), evidence: [ev] });
      }
      if (tp.guests.some((g) => isPgData(g) && g.role === 'primary') && !tp.guests.some((g) => isPgData(g) && g.role === 'primary' && g.site === p)) {
        out.push({
          subject: `pg-primaries-${p}`,
          message: t(`Aucune primaire PostgreSQL sur ${p} : le site n’écrit pas.`, `No PostgreSQL primary on ${p}: the site does not write.`),
          evidence: [envDoc(input, ['services', 'postgresql', 'domains'])],
        });
      }
    }
    const workers = primaries.map((p) =>
      tp.guests.filter((g) => g.service === 'openshift' && g.role === 'worker' && g.site === p).reduce((a, g) => a + g.size.vcpu, 0),
    );
    if (workers.length >= 2 && Math.min(...workers) < Math.max(...workers)) {
      out.push({
        subject: 'capacity',
        message: t(
          `Workers OpenShift inégaux entre sites (${workers.join(' / ')} vCPU) : un site ne porte pas seul la charge.`,
          `Unequal OpenShift workers between sites (${workers.join(' / ')} vCPU): one site cannot carry the load alone.`,
        ),
        evidence: [envDoc(input, ['services', 'openshift'])],
      });
    }
    return out;
  },
  fixtures: {
    pass: { description: 'production alternates primaries', mutate: () => {} },
    fail: {
      description: 'every PostgreSQL primary in DC1',
      mutate: (i) => {
        for (const g of i.topology!.guests) if (g.service === 'postgresql' && g.role === 'primary') g.site = 'DC1';
      },
    },
  },
};

type Equipment = 'firewall' | 'ips' | 'waf' | 'bastion' | 'bridge';

function otherClassPeers(input: PolicyInput): Topology[] {
  const tp = input.topology!;
  return input.peers.filter((p) => p.environment.platform === tp.environment.platform && p.environment.segregation !== tp.environment.segregation);
}

const dedicatedHypervisors: Rule = {
  id: 'HOST-007',
  set: 'hosting',
  severity: 'critical',
  title: t('Clusters d’hyperviseurs dédiés par classe', 'Hypervisor clusters dedicated per class'),
  description: t(
    'Topologie : chaque cluster Proxmox utilisé est de la classe de l’environnement et aucun environnement de l’autre classe ne l’utilise. Terraform : chaque VM tourne sur un nœud d’un cluster de sa classe (étiquette class-*).',
    'Topology: every Proxmox cluster used is of the environment’s class and no environment of the other class uses it. Terraform: every VM runs on a node of a cluster of its class (class-* tag).',
  ),
  remediation: t('Donner à la production ses propres clusters Proxmox VE.', 'Give production its own Proxmox VE clusters.'),
  requirements: [...cctp('EXG_PSE_2', 'EXG_PSE_4', 'EXG_DIS_4.3', 'CAIH-4.2-1'), ...secnum('13'), ...anssi('ANSSI-PA-022')],
  needs: ['topology'],
  check: (input) => {
    const tp = input.topology!;
    const out: Violation[] = [];
    tp.hypervisorClusters.forEach((c, k) => {
      if (c.segregation !== tp.environment.segregation)
        out.push({
          subject: c.name,
          message: t(`Le cluster ${c.name} est ${c.segregation}.`, `Cluster ${c.name} is ${c.segregation}.`),
          evidence: [topo(tp, ['hypervisorClusters', k, 'segregation'], c.segregation)],
        });
      for (const peer of otherClassPeers(input)) {
        if (peer.hypervisorClusters.some((pc) => pc.name === c.name && pc.allocated.guests > 0)) {
          out.push({
            subject: c.name,
            message: t(
              `Le cluster ${c.name} porte aussi ${peer.environment.name} (${peer.environment.segregation}).`,
              `Cluster ${c.name} also hosts ${peer.environment.name} (${peer.environment.segregation}).`,
            ),
            evidence: [topo(tp, ['hypervisorClusters', k, 'name'], c.name)],
          });
        }
      }
    });
    if (input.terraform) {
      const nodes = new Map<string, string>();
      for (const b of ofType(input.terraform, 'proxmox_network_linux_bridge')) nodes.set(String(b.body.node_name), b.stack.replace(/^cluster-/, ''));
      const mine = tp.environment.segregation === 'production' ? 'class-prod' : 'class-nonprod';
      for (const vm of ofType(input.terraform, 'proxmox_virtual_environment_vm')) {
        const tags = (value(input.terraform, vm, vm.body.tags) as string[] | undefined) ?? [];
        const cluster = nodes.get(String(vm.body.node_name));
        const clusterSeg =
          tp.hypervisorClusters.find((c) => c.name === cluster)?.segregation ??
          input.peers.flatMap((p) => p.hypervisorClusters).find((c) => c.name === cluster)?.segregation;
        if (!tags.includes(mine) || (clusterSeg && clusterSeg !== tp.environment.segregation)) {
          out.push({
            subject: vm.name,
            message: t(
              `La VM ${vm.name} est sur ${vm.body.node_name} (${cluster ?? '?'}, ${clusterSeg ?? '?'}).`,
              `VM ${vm.name} runs on ${vm.body.node_name} (${cluster ?? '?'}, ${clusterSeg ?? '?'}).`,
            ),
            evidence: [tfEvidence(vm, ['node_name'], vm.body.node_name)],
          });
        }
      }
    }
    return out;
  },
  fixtures: {
    pass: { description: 'production on pve-*-prod', mutate: () => {} },
    fail: {
      description: 'a non-production environment placed on pve-dc1-prod',
      mutate: (i) => {
        const peer = i.peers.find((p) => p.environment.segregation === 'non-production')!;
        peer.hypervisorClusters[0]!.name = 'pve-dc1-prod';
      },
    },
  },
};

function sharedEquipment(input: PolicyInput, fields: Equipment[]): Violation[] {
  const tp = input.topology!;
  const out: Violation[] = [];
  tp.securityChains.forEach((chain, k) => {
    for (const peer of otherClassPeers(input)) {
      for (const other of peer.securityChains.filter((c) => c.site === chain.site)) {
        for (const f of fields) {
          if (chain[f] === other[f]) {
            out.push({
              subject: `${chain.site}-${f}`,
              message: t(
                `${f} « ${chain[f]} » de ${chain.site} est partagé avec ${peer.environment.name} (${peer.environment.segregation}).`,
                `${f} "${chain[f]}" on ${chain.site} is shared with ${peer.environment.name} (${peer.environment.segregation}).`,
              ),
              evidence: [topo(tp, ['securityChains', k, f], chain[f])],
            });
          }
        }
      }
    }
  });
  return dedupe(out);
}

function dedupe(v: Violation[]): Violation[] {
  const seen = new Set<string>();
  return v.filter((x) => {
    const key = `${x.subject}|${x.evidence[0]?.pointer}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const dedicatedNetwork: Rule = {
  id: 'HOST-008',
  set: 'hosting',
  severity: 'critical',
  title: t('Réseau dédié à la classe (pont, VLAN, adressage)', 'Network dedicated to the class (bridge, VLANs, addresses)'),
  description: t(
    'Topologie : le pont/zone SDN de chaque site, les VLAN et le bloc d’adresses ne sont partagés avec aucun environnement de l’autre classe. Terraform : chaque zone SDN n’existe que dans les stacks de clusters d’une classe.',
    'Topology: each site’s bridge/SDN zone, the VLANs and the address block are shared with no environment of the other class. Terraform: each SDN zone exists only in cluster stacks of one class.',
  ),
  remediation: t(
    'Séparer ponts, zones SDN, VLAN et supernets de la production et de la hors-production.',
    'Separate bridges, SDN zones, VLANs and supernets of production and non-production.',
  ),
  requirements: [...cctp('EXG_PSE_2', 'EXG_PSE_4', 'MESDMP-3.2.3.3.3-5', 'CAIH-4.2-1', 'CAIH-S3-5'), ...secnum('13'), ...anssi('ANSSI-PA-022')],
  needs: ['topology'],
  check: (input) => {
    const tp = input.topology!;
    const out = sharedEquipment(input, ['bridge']);
    for (const peer of otherClassPeers(input)) {
      tp.zones.forEach((z, k) => {
        if (peer.zones.some((pz) => pz.site === z.site && pz.vlan === z.vlan))
          out.push({
            subject: `${z.site}-vlan-${z.vlan}`,
            message: t(
              `VLAN ${z.vlan} de ${z.site} aussi utilisé par ${peer.environment.name}.`,
              `VLAN ${z.vlan} on ${z.site} also used by ${peer.environment.name}.`,
            ),
            evidence: [topo(tp, ['zones', k, 'vlan'], z.vlan)],
          });
        if (peer.zones.some((pz) => pz.site === z.site && pz.bridge === z.bridge))
          out.push({
            subject: `${z.site}-bridge`,
            message: t(
              `Le pont ${z.bridge} de ${z.site} est aussi celui de ${peer.environment.name}.`,
              `Bridge ${z.bridge} on ${z.site} is also ${peer.environment.name}'s.`,
            ),
            evidence: [topo(tp, ['zones', k, 'bridge'], z.bridge)],
          });
      });
    }
    if (input.terraform) {
      const zones = new Map<string, Set<string>>();
      for (const z of ofType(input.terraform, 'proxmox_sdn_zone_vlan')) {
        const cluster = z.stack.replace(/^cluster-/, '');
        const seg = [tp, ...input.peers].flatMap((p) => p.hypervisorClusters).find((c) => c.name === cluster)?.segregation ?? 'unknown';
        const set = zones.get(`${String(z.body.id)}@${String(z.body.bridge)}`) ?? new Set();
        set.add(seg);
        zones.set(`${String(z.body.id)}@${String(z.body.bridge)}`, set);
        if (set.size > 1)
          out.push({
            subject: String(z.body.id),
            message: t(`La zone SDN ${String(z.body.id)} sert les deux classes.`, `SDN zone ${String(z.body.id)} serves both classes.`),
            evidence: [tfEvidence(z, ['id'], z.body.id)],
          });
      }
    }
    return dedupe(out);
  },
  fixtures: {
    pass: { description: 'zprod vs zhprod', mutate: () => {} },
    fail: {
      description: 'a non-production environment shares the production bridge',
      mutate: (i) => {
        const peer = i.peers.find((p) => p.environment.segregation === 'non-production')!;
        for (const z of peer.zones) z.bridge = 'zprod';
        for (const c of peer.securityChains) c.bridge = 'zprod';
      },
    },
  },
};

const dedicatedSecurityChain: Rule = {
  id: 'HOST-009',
  set: 'hosting',
  severity: 'critical',
  title: t('Chaîne de sécurité dédiée (pare-feu, IPS, WAF, bastion)', 'Dedicated security chain (firewall, IPS, WAF, bastion)'),
  description: t(
    'Topologie : l’environnement a une chaîne de sa classe sur chaque site utilisé, et ni pare-feu, ni IPS, ni WAF, ni bastion n’est partagé avec un environnement de l’autre classe.',
    'Topology: the environment has a chain of its class on every site it uses, and no firewall, IPS, WAF or bastion is shared with an environment of the other class.',
  ),
  remediation: t(
    'Déclarer une chaîne de sécurité par site et par classe ; seul l’anti-DDoS peut être partagé.',
    'Declare one security chain per site and class; only anti-DDoS may be shared.',
  ),
  requirements: [...cctp('EXG_PSE_2', 'EXG_PSE_5', 'EXG_PSE_4', 'MESDMP-3.2.3.3.3-2', 'MESDMP-3.2.3.3.3-7'), ...secnum('13'), ...anssi('ANSSI-PA-022')],
  needs: ['topology'],
  check: (input) => {
    const tp = input.topology!;
    const out = sharedEquipment(input, ['firewall', 'ips', 'waf', 'bastion']);
    for (const s of tp.sites) {
      if (!tp.securityChains.some((c) => c.site === s.id))
        out.push({
          subject: `${s.id}-chain`,
          message: t(`Aucune chaîne de sécurité ${tp.environment.segregation} sur ${s.id}.`, `No ${tp.environment.segregation} security chain on ${s.id}.`),
          evidence: [topo(tp, ['securityChains'])],
        });
    }
    return out;
  },
  fixtures: {
    pass: { description: 'distinct chains', mutate: () => {} },
    fail: {
      description: 'non-production uses the production WAF of DC1',
      mutate: (i) => {
        const peer = i.peers.find((p) => p.environment.segregation === 'non-production')!;
        const prodWaf = i.topology!.securityChains.find((c) => c.site === 'DC1')!.waf;
        for (const c of peer.securityChains) if (c.site === 'DC1') c.waf = prodWaf;
      },
    },
  },
};

export const HOSTING_RULES: Rule[] = [
  sitesInEu,
  healthDataInFrance,
  backupSiteDistance,
  backupSiteHdsActivity6,
  siteTier,
  activeActive,
  dedicatedHypervisors,
  dedicatedNetwork,
  dedicatedSecurityChain,
];

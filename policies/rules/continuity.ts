/**
 * Continuity (PCA/PRA): synchronous replication across DC1/DC2 (RPO 0), quorum witnesses in the
 * third site, no single point of failure, N-1 hypervisor capacity, stretched data services and
 * off-site backups with retention (EXG_PCA_2, EXG_PRA_1, EXG_PRA_2).
 */

import { parse as parseYaml } from 'yaml';
import { DCS_CLUSTER, isDcsMember, isPgData } from '../../modules/model/roles.ts';
import type { Guest, Topology } from '../../modules/model/topology.ts';
import { isPatroniConfig, isRepositoryConfig } from '../evidence/files.ts';
import { envDoc, guestEvidence, isProduction, topo } from '../evidence/model.ts';
import { ofType, tfEvidence, value } from '../evidence/terraform.ts';
import { anssi, cctp, type PolicyInput, type Rule, secnum, t, type Violation } from '../types.ts';

const dataSites = (tp: Topology) => new Set(tp.guests.filter(isPgData).map((g) => g.site));
const rpoZeroScope = (i: PolicyInput) => ['production', 'integration'].includes(i.topology?.environment.class ?? '');

const synchronousReplication: Rule = {
  id: 'CONT-001',
  set: 'continuity',
  severity: 'critical',
  title: t('Réplication PostgreSQL synchrone (RPO 0)', 'Synchronous PostgreSQL replication (RPO 0)'),
  description: t(
    'Modèle : services.postgresql.replication vaut synchronous. Configuration Patroni rendue pour chaque domaine : synchronous_mode à true, synchronous_node_count ≥ 1 (seul le standby synchrone de référence peut être promu : aucune écriture acquittée perdue), et synchronous_mode_strict conforme à onStandbyLoss (continue-alone : false, stop-writes : true ; ADR 0006). Périmètre EXG_PCA_2 : production et intégration tierce.',
    'Model: services.postgresql.replication is synchronous. Rendered Patroni configuration of every domain: synchronous_mode true, synchronous_node_count ≥ 1 (only the synchronous standby of record may be promoted: no acknowledged write lost), and synchronous_mode_strict as onStandbyLoss says (continue-alone: false, stop-writes: true; ADR 0006). EXG_PCA_2 scope: production and third-party integration.',
  ),
  remediation: t(
    'Mettre replication: synchronous ; laisser Patroni en synchronous_mode (le rendu le fait) ; choisir onStandbyLoss.',
    'Set replication: synchronous; keep Patroni in synchronous_mode (the renderer does); choose onStandbyLoss.',
  ),
  requirements: [...cctp('EXG_PCA_2', 'EXG_DIS_2.1', 'MESDMP-3.2.3.3.4.2-1'), ...secnum('17')],
  needs: ['topology', 'rendered'],
  appliesTo: (i) => rpoZeroScope(i) && Boolean(i.topology?.guests.some((g) => g.service === 'postgresql')),
  check: (input) => {
    const out: Violation[] = [];
    const mode = input.environment?.doc.services.postgresql?.replication;
    if (mode && mode !== 'synchronous')
      out.push({
        subject: 'replication',
        message: t(`Réplication ${mode} : RPO non nul.`, `${mode} replication: RPO is not zero.`),
        evidence: [envDoc(input, ['services', 'postgresql', 'replication'], mode)],
      });
    for (const f of input.rendered!.filter(isPatroniConfig)) {
      const dcs = (parseYaml(f.content) as { bootstrap?: { dcs?: Record<string, unknown> } }).bootstrap?.dcs ?? {};
      if (!(dcs.synchronous_mode === true && Number(dcs.synchronous_node_count ?? 0) >= 1))
        out.push({
          subject: f.owner,
          message: t(`${f.owner} : Patroni sans mode synchrone.`, `${f.owner}: Patroni without synchronous mode.`),
          evidence: [{ file: `rendered:${f.path}`, pointer: '/bootstrap/dcs/synchronous_mode', value: dcs.synchronous_mode ?? null }],
        });
      const strict = input.topology?.postgresql?.onStandbyLoss === 'stop-writes';
      if (dcs.synchronous_mode_strict !== strict)
        out.push({
          subject: f.owner,
          message: t(
            `${f.owner} : synchronous_mode_strict vaut ${String(dcs.synchronous_mode_strict)}, le modèle demande ${String(strict)} (onStandbyLoss).`,
            `${f.owner}: synchronous_mode_strict is ${String(dcs.synchronous_mode_strict)}, the model asks for ${String(strict)} (onStandbyLoss).`,
          ),
          evidence: [{ file: `rendered:${f.path}`, pointer: '/bootstrap/dcs/synchronous_mode_strict', value: dcs.synchronous_mode_strict ?? null }],
        });
    }
    for (const f of input.rendered!.filter((r) => r.service === 'postgresql' && r.error))
      out.push({
        subject: f.owner,
        message: t(`${f.owner} : configuration non rendue (${f.error}).`, `${f.owner}: configuration not rendered (${f.error}).`),
        evidence: [{ file: `rendered:${f.path}`, pointer: '/' }],
      });
    return out;
  },
  fixtures: {
    pass: { description: 'production synchronous', mutate: () => {} },
    fail: {
      description: 'Patroni of one domain rendered without synchronous_mode',
      mutate: (i) => {
        const f = i.rendered!.find(isPatroniConfig)!;
        f.content = f.content.replace('synchronous_mode: true', 'synchronous_mode: false');
      },
    },
  },
};

const standbyInOtherSite: Rule = {
  id: 'CONT-002',
  set: 'continuity',
  severity: 'critical',
  title: t('Standby dans l’autre site principal', 'Standby in the other primary site'),
  description: t(
    'Topologie : pour chaque domaine PostgreSQL, la primaire et la standby synchrone sont sur deux sites principaux différents.',
    'Topology: for every PostgreSQL domain, the primary and its synchronous standby are on two different primary sites.',
  ),
  remediation: t('Placer la standby dans l’autre datacenter principal.', 'Place the standby in the other primary datacenter.'),
  requirements: [...cctp('EXG_PCA_2', 'EXG_DIS_2.4', 'MESDMP-3.2.3.3.1-1'), ...secnum('17')],
  needs: ['topology'],
  check: (input) => {
    const tp = input.topology!;
    const out: Violation[] = [];
    for (const domain of new Set(tp.guests.filter((g) => g.domain).map((g) => g.domain!))) {
      const members = tp.guests.filter((g) => isPgData(g) && g.domain === domain);
      const sites = new Set(members.map((g) => g.site));
      const primaries = new Set(tp.sites.filter((s) => s.role === 'primary').map((s) => s.id));
      if (sites.size < 2 || [...sites].some((s) => !primaries.has(s))) {
        out.push({
          subject: `pg-${domain}`,
          message: t(
            `Domaine ${domain} : primaire et standby sur ${[...sites].join(', ')}.`,
            `Domain ${domain}: primary and standby on ${[...sites].join(', ')}.`,
          ),
          evidence: members.map((g) => guestEvidence(tp, g, 'site')),
        });
      }
    }
    return out;
  },
  fixtures: {
    pass: { description: 'alternating DC1/DC2', mutate: () => {} },
    fail: {
      description: 'the standby of documents put in its primary’s site',
      mutate: (i) => {
        const p = i.topology!.guests.find((g) => g.domain === 'documents' && g.role === 'primary')!;
        i.topology!.guests.find((g) => g.domain === 'documents' && g.role === 'standby')!.site = p.site;
      },
    },
  },
};

const witnessesInThirdSite: Rule = {
  id: 'CONT-003',
  set: 'continuity',
  severity: 'critical',
  title: t('Témoins de quorum dans le troisième site', 'Quorum witnesses in the third site'),
  description: t(
    'Topologie : le témoin etcd de Patroni et le moniteur départageur Ceph sont sur un site de secours qui ne porte aucune donnée du service ; Terraform : le témoin seul sur son site est répliqué (proxmox_replication) pour la HA.',
    'Topology: the Patroni etcd witness and the Ceph tie-breaker monitor are on a backup site that holds none of the service’s data; Terraform: a witness alone on its site is replicated (proxmox_replication) for HA.',
  ),
  remediation: t('Placer les témoins en DC3.', 'Place the witnesses in DC3.'),
  requirements: [...cctp('EXG_PCA_2', 'MESDMP-3.2.3.3.5-2'), ...secnum('17')],
  needs: ['topology'],
  check: (input) => {
    const tp = input.topology!;
    const out: Violation[] = [];
    const backupSites = new Set(tp.sites.filter((s) => s.role === 'backup').map((s) => s.id));
    const pgData = dataSites(tp);
    const cephData = new Set(tp.guests.filter((g) => g.service === 'ceph' && g.role === 'osd').map((g) => g.site));
    for (const w of tp.guests.filter((g) => g.role === 'witness')) {
      const data = w.service === 'ceph' ? cephData : pgData;
      if (data.has(w.site) || !backupSites.has(w.site))
        out.push({
          subject: w.name,
          message: t(
            `Le témoin ${w.name} est sur ${w.site}, un site de données ou non de secours.`,
            `Witness ${w.name} is on ${w.site}, a data site or not a backup site.`,
          ),
          evidence: [guestEvidence(tp, w, 'site')],
        });
    }
    if (pgData.size && !tp.guests.some((g) => isDcsMember(g) && g.role === 'witness'))
      out.push({
        subject: DCS_CLUSTER,
        message: t('Aucun témoin etcd pour Patroni.', 'No etcd witness for Patroni.'),
        evidence: [envDoc(input, ['services', 'postgresql', 'witnessSite'])],
      });
    if (input.terraform) {
      const replicated = new Set(
        ofType(input.terraform, 'proxmox_virtual_environment_replication').map((r) => String(value(input.terraform!, r, r.body.id)).replace(/-\d+$/, '')),
      );
      for (const vm of ofType(input.terraform, 'proxmox_virtual_environment_vm')) {
        const g = tp.guests.find((x) => x.name === vm.body.name);
        if (g?.role === 'witness' && !replicated.has(String(vm.body.vm_id)))
          out.push({
            subject: g.name,
            message: t(`Le témoin ${g.name} n’est pas répliqué.`, `Witness ${g.name} is not replicated.`),
            evidence: [tfEvidence(vm, ['vm_id'], vm.body.vm_id)],
          });
      }
    }
    return out;
  },
  fixtures: {
    pass: { description: 'witnesses in DC3', mutate: () => {} },
    fail: {
      description: 'etcd witness moved to DC1',
      mutate: (i) => {
        i.topology!.guests.find((g) => g.service === 'postgresql' && g.role === 'witness')!.site = 'DC1';
      },
    },
  },
};

const PAIRED: Array<{ service: Guest['service']; role?: string }> = [
  { service: 'waf' },
  { service: 'bastion' },
  { service: 'monitoring' },
  { service: 'hsm' },
  { service: 'postgresql', role: 'haproxy' },
];

const noSinglePointOfFailure: Rule = {
  id: 'CONT-004',
  set: 'continuity',
  severity: 'high',
  title: t('Aucun point unique de défaillance dans les paires', 'No single point of failure in any pair'),
  description: t(
    'Topologie (production) : au moins deux WAF, bastions, supervisions, HSM et HAProxy par site principal ; les membres d’un groupe d’anti-affinité sur des nœuds distincts. Terraform : chaque VM est une ressource HA et chaque groupe a une règle d’affinité négative qui le couvre entièrement.',
    'Topology (production): at least two WAFs, bastions, monitoring nodes, HSMs and HAProxies per primary site; members of an anti-affinity group on distinct nodes. Terraform: every VM is an HA resource and every group has a negative affinity rule covering all its members.',
  ),
  remediation: t('Doubler les équipements par site et garder les règles d’anti-affinité.', 'Double the equipment per site and keep the anti-affinity rules.'),
  requirements: [...cctp('EXG_PCA_2', 'MESDMP-3.2.3.3.3-1', 'MESDMP-3.2.3.3.3-3', 'MESDMP-3.2.3.3.3-4', 'EXG_WAF_1', 'EXG_DIS_2.1'), ...secnum('17')],
  needs: ['topology'],
  appliesTo: isProduction,
  check: (input) => {
    const tp = input.topology!;
    const out: Violation[] = [];
    for (const site of tp.sites.filter((s) => s.role === 'primary')) {
      for (const p of PAIRED) {
        const n = tp.guests.filter((g) => g.service === p.service && (!p.role || g.role === p.role) && g.site === site.id).length;
        if (n === 1)
          out.push({
            subject: `${p.role ?? p.service}-${site.id}`,
            message: t(`Un seul ${p.role ?? p.service} sur ${site.id}.`, `Only one ${p.role ?? p.service} on ${site.id}.`),
            evidence: [envDoc(input, ['services', p.service])],
          });
      }
    }
    const groups = new Map<string, Guest[]>();
    for (const g of tp.guests.filter((x) => x.antiAffinityGroup && x.placement))
      groups.set(`${g.antiAffinityGroup}@${g.site}`, [...(groups.get(`${g.antiAffinityGroup}@${g.site}`) ?? []), g]);
    for (const [key, members] of groups) {
      const nodes = members.map((g) => g.placement!.node);
      if (new Set(nodes).size < nodes.length)
        out.push({
          subject: key,
          message: t(`Groupe ${key} : deux membres sur le même nœud.`, `Group ${key}: two members on the same node.`),
          evidence: members.map((g) => guestEvidence(tp, g, 'placement')),
        });
    }
    if (input.terraform) {
      const tf = input.terraform;
      const vms = ofType(tf, 'proxmox_virtual_environment_vm');
      const ha = new Set(ofType(tf, 'proxmox_haresource').map((r) => String(value(tf, r, r.body.resource_id))));
      const rules = ofType(tf, 'proxmox_harule')
        .filter((r) => r.body.affinity === 'negative')
        .map((r) => new Set((r.body.resources as string[]) ?? []));
      for (const vm of vms)
        if (!ha.has(`vm:${vm.body.vm_id}`))
          out.push({
            subject: String(vm.body.name),
            message: t(`La VM ${vm.body.name} n’est pas une ressource HA.`, `VM ${vm.body.name} is not an HA resource.`),
            evidence: [tfEvidence(vm, ['vm_id'], vm.body.vm_id)],
          });
      for (const [key, members] of groups) {
        const ids = members
          .map((g) => vms.find((v) => v.body.name === g.name))
          .filter((v) => v !== undefined)
          .map((v) => `vm:${v.body.vm_id}`);
        if (ids.length >= 2 && !rules.some((r) => ids.every((id) => r.has(id))))
          out.push({
            subject: key,
            message: t(`Groupe ${key} sans règle d’anti-affinité HA.`, `Group ${key} has no HA anti-affinity rule.`),
            evidence: [{ file: 'stacks', pointer: '/resource/proxmox_harule', value: ids }],
          });
      }
    }
    return out;
  },
  fixtures: {
    pass: { description: 'pairs on every primary', mutate: () => {} },
    fail: {
      description: 'one WAF removed from DC2',
      mutate: (i) => {
        const k = i.topology!.guests.findIndex((g) => g.service === 'waf' && g.site === 'DC2');
        i.topology!.guests.splice(k, 1);
      },
    },
  },
};

const hypervisorNMinusOne: Rule = {
  id: 'CONT-005',
  set: 'continuity',
  severity: 'high',
  title: t('Clusters d’hyperviseurs tolérant la perte d’un nœud', 'Hypervisor clusters tolerate the loss of a node'),
  description: t(
    'Topologie : sur chaque cluster Proxmox utilisé, les vCPU et la RAM alloués par tous les environnements de la plateforme tiennent sur N−1 nœuds (surallocation CPU du cluster comprise).',
    'Topology: on every Proxmox cluster used, the vCPU and RAM allocated by every environment of the platform fit on N−1 nodes (cluster CPU overcommit included).',
  ),
  remediation: t('Ajouter un nœud ou déplacer un environnement.', 'Add a node or move an environment.'),
  requirements: [...cctp('MESDMP-3.2.3.3.4-2', 'EXG_VOL_3', 'MESDMP-3.2.3.3.1-1'), ...secnum('12')],
  needs: ['topology'],
  check: (input) => {
    const tp = input.topology!;
    const out: Violation[] = [];
    tp.hypervisorClusters.forEach((c, k) => {
      const all = [tp, ...input.peers.filter((p) => p.environment.name !== tp.environment.name)].flatMap((p) =>
        p.hypervisorClusters.filter((x) => x.name === c.name),
      );
      const vcpu = all.reduce((a, x) => a + x.allocated.vcpu, 0);
      const ram = all.reduce((a, x) => a + x.allocated.ramGiB, 0);
      const rest = [...c.nodes].sort((a, b) => b.cores - a.cores).slice(1);
      const capCpu = rest.reduce((a, n) => a + n.cores, 0) * c.cpuOvercommit;
      const capRam = rest.reduce((a, n) => a + n.ramGiB, 0);
      if (vcpu > capCpu || ram > capRam)
        out.push({
          subject: c.name,
          message: t(
            `${c.name} : ${vcpu} vCPU / ${ram} Gio alloués, ${capCpu} vCPU / ${capRam} Gio sur N−1 nœuds.`,
            `${c.name}: ${vcpu} vCPU / ${ram} GiB allocated, ${capCpu} vCPU / ${capRam} GiB on N−1 nodes.`,
          ),
          evidence: [topo(tp, ['hypervisorClusters', k, 'allocated'], c.allocated)],
        });
    });
    return out;
  },
  fixtures: {
    pass: { description: 'production fits on N-1', mutate: () => {} },
    fail: {
      description: 'pve-dc1-prod reduced to 2 nodes',
      mutate: (i) => {
        i.topology!.hypervisorClusters.find((c) => c.name === 'pve-dc1-prod')!.nodes.splice(2);
      },
    },
  },
};

const stretchedDataServices: Rule = {
  id: 'CONT-006',
  set: 'continuity',
  severity: 'high',
  title: t('Services de données étirés DC1/DC2, copie externe en DC3', 'Data services stretched over DC1/DC2, external copy in DC3'),
  description: t(
    'Topologie (production) : brokers Kafka et OSD Ceph sur chacun des sites principaux, en nombre égal ; un cluster Ceph externe sur un site de secours reçoit la copie.',
    'Topology (production): Kafka brokers and Ceph OSD hosts on each primary site, in equal numbers; an external Ceph cluster on a backup site receives the copy.',
  ),
  remediation: t(
    'Étirer Kafka et Ceph sur DC1 et DC2 et déclarer ceph.external en DC3.',
    'Stretch Kafka and Ceph over DC1 and DC2 and declare ceph.external in DC3.',
  ),
  requirements: [...cctp('MESDMP-3.2.3.2-2', 'MESDMP-3.2.3.3.5-2', 'MESDMP-3.2.3.3.4.2-2', 'EXG_PCA_2'), ...secnum('17')],
  needs: ['topology'],
  appliesTo: isProduction,
  check: (input) => {
    const tp = input.topology!;
    const out: Violation[] = [];
    const primaries = tp.sites.filter((s) => s.role === 'primary').map((s) => s.id);
    for (const [service, role] of [
      ['kafka', 'broker'],
      ['ceph', 'osd'],
    ] as const) {
      const counts = primaries.map((p) => tp.guests.filter((g) => g.service === service && g.role === role && g.site === p).length);
      if (counts.some((n) => n === 0) || new Set(counts).size > 1)
        out.push({
          subject: service,
          message: t(
            `${service} : ${counts.join(' / ')} ${role} sur ${primaries.join(' / ')}.`,
            `${service}: ${counts.join(' / ')} ${role} on ${primaries.join(' / ')}.`,
          ),
          evidence: [envDoc(input, ['services', service])],
        });
    }
    const backupSites = new Set(tp.sites.filter((s) => s.role === 'backup').map((s) => s.id));
    if (!tp.guests.some((g) => g.service === 'ceph' && g.role === 'external' && backupSites.has(g.site)))
      out.push({
        subject: 'ceph-external',
        message: t('Pas de cluster Ceph externe en site de secours.', 'No external Ceph cluster on a backup site.'),
        evidence: [envDoc(input, ['services', 'ceph', 'external'])],
      });
    return out;
  },
  fixtures: {
    pass: { description: '3+3 brokers and OSDs, external in DC3', mutate: () => {} },
    fail: {
      description: 'all Kafka brokers in DC1',
      mutate: (i) => {
        i.topology!.guests.filter((g) => g.service === 'kafka').forEach((g) => {
          g.site = 'DC1';
        });
      },
    },
  },
};

const backupsOffsite: Rule = {
  id: 'CONT-007',
  set: 'continuity',
  severity: 'high',
  title: t('Sauvegardes hors site, hors ligne, avec rétention', 'Backups off-site, offline, with retention'),
  description: t(
    'Modèle : serveurs de sauvegarde sur un site de secours, rétention quotidienne et hebdomadaire non nulles, copie hors ligne en production. Terraform : stockage PBS joint sur l’adresse d’un serveur de sauvegarde (zone backup), prune keep-* posés, une tâche de sauvegarde couvre chaque VM, les porteurs de données chaque jour. pgBackRest rendu : repo1-retention-full posé.',
    'Model: backup servers on a backup site, non-zero daily and weekly retention, an offline copy in production. Terraform: PBS storage reached on a backup server’s address (backup zone), prune keep-* set, a backup job covers every VM, data holders daily. Rendered pgBackRest: repo1-retention-full set.',
  ),
  remediation: t(
    'Déclarer services.backup en DC3 avec rétention et offlineCopy, et synthétiser les tâches vzdump.',
    'Declare services.backup in DC3 with retention and offlineCopy, and synthesize the vzdump jobs.',
  ),
  requirements: [...cctp('EXG_PRA_2', 'EXG_PRA_1', 'DUI-E6-5', 'MESDMP-3.2.3.3.6-2', 'CAIH-S3A-1'), ...secnum('12'), ...anssi('ANSSI-PA-022')],
  needs: ['topology'],
  appliesTo: (i) => Boolean(i.topology?.backup) || isProduction(i),
  check: (input) => {
    const tp = input.topology!;
    const b = tp.backup;
    const out: Violation[] = [];
    if (!b) return [{ subject: 'backup', message: t('Aucun service de sauvegarde.', 'No backup service.'), evidence: [envDoc(input, ['services', 'backup'])] }];
    const role = tp.sites.find((s) => s.id === b.site)?.role;
    if (role !== 'backup')
      out.push({
        subject: 'site',
        message: t(`Sauvegardes sur ${b.site}, qui n’est pas un site de secours.`, `Backups on ${b.site}, which is not a backup site.`),
        evidence: [topo(tp, ['backup', 'site'], b.site)],
      });
    if (b.retention.daily < 1 || b.retention.weekly < 1)
      out.push({
        subject: 'retention',
        message: t('Rétention quotidienne ou hebdomadaire nulle.', 'Zero daily or weekly retention.'),
        evidence: [topo(tp, ['backup', 'retention'], b.retention)],
      });
    if (isProduction(input) && !b.offlineCopy)
      out.push({
        subject: 'offline',
        message: t('Pas de copie hors ligne en production.', 'No offline copy in production.'),
        evidence: [topo(tp, ['backup', 'offlineCopy'], b.offlineCopy)],
      });
    if (input.terraform) {
      const tf = input.terraform;
      const backupIps = new Set(tp.guests.filter((g) => b.servers.includes(g.name)).flatMap((g) => g.nics.filter((n) => n.zone === 'backup').map((n) => n.ip)));
      for (const s of ofType(tf, 'proxmox_storage_pbs')) {
        if (!backupIps.has(String(s.body.server)))
          out.push({
            subject: s.stack,
            message: t(`Stockage PBS vers ${s.body.server}, hors des serveurs de sauvegarde.`, `PBS storage points at ${s.body.server}, not a backup server.`),
            evidence: [tfEvidence(s, ['server'], s.body.server)],
          });
      }
      const covered = new Set<string>();
      for (const job of ofType(tf, 'proxmox_backup_job')) {
        const prune = (job.body.prune_backups as Record<string, string> | undefined) ?? {};
        if (!Number(prune['keep-daily'] ?? 0))
          out.push({
            subject: job.name,
            message: t(`Tâche ${job.body.id} sans keep-daily.`, `Job ${job.body.id} has no keep-daily.`),
            evidence: [tfEvidence(job, ['prune_backups'], prune)],
          });
        for (const id of (job.body.vmid as string[]) ?? []) covered.add(String(value(tf, job, id)));
      }
      for (const vm of ofType(tf, 'proxmox_virtual_environment_vm')) {
        const g = tp.guests.find((x) => x.name === vm.body.name);
        if (g && g.service === 'backup') continue; // the backup servers are not backed up into themselves
        if (!covered.has(String(vm.body.vm_id)))
          out.push({
            subject: String(vm.body.name),
            message: t(`La VM ${vm.body.name} n’est dans aucune tâche de sauvegarde.`, `VM ${vm.body.name} is in no backup job.`),
            evidence: [tfEvidence(vm, ['vm_id'], vm.body.vm_id)],
          });
      }
    }
    for (const f of (input.rendered ?? []).filter(isRepositoryConfig)) {
      if (!/^repo1-retention-full=\d+/m.test(f.content))
        out.push({
          subject: 'pgbackrest',
          message: t('pgBackRest sans rétention.', 'pgBackRest without retention.'),
          evidence: [{ file: `rendered:${f.path}`, pointer: '/global/repo1-retention-full' }],
        });
    }
    return out;
  },
  fixtures: {
    pass: { description: 'DC3, 14d/8w/12m/1y, offline copy', mutate: () => {} },
    fail: {
      description: 'production without offline copy',
      mutate: (i) => {
        i.topology!.backup!.offlineCopy = false;
      },
    },
  },
};

/** Seconds of a rendered duration such as `6s`, `6000ms` or `6`. */
function seconds(v: unknown): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|min)?$/.exec(String(v ?? ''));
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === 'ms' ? n / 1000 : m[2] === 'min' ? n * 60 : n;
}

/** Longest acceptable wait before a lost standby leaves the commit path, and longest leader lease. */
const MAX_REPLICATION_TIMEOUT_S = 10;
const MAX_TTL_S = 15;

const boundedFailover: Rule = {
  id: 'CONT-008',
  set: 'continuity',
  severity: 'high',
  title: t('Bascule bornée : perte d’un site sans arrêt des écritures', 'Bounded failover: losing a site does not stop writes'),
  description: t(
    `Configuration Patroni rendue de chaque nœud de données : ttl ≤ ${MAX_TTL_S} s et ttl ≥ loop_wait + 2 × retry_timeout ; wal_sender_timeout, wal_receiver_timeout et tcp_user_timeout ≤ ${MAX_REPLICATION_TIMEOUT_S} s (un standby perdu quitte le chemin de commit en secondes, pas en minutes) ; failsafe_mode ; en production, watchdog requis (fencing d’un primaire orphelin). Client pgBackRest : archivage asynchrone (un site de sauvegarde perdu ne bloque ni les commits ni un arrêt). ADR 0006.`,
    `Rendered Patroni configuration of every data node: ttl ≤ ${MAX_TTL_S} s and ttl ≥ loop_wait + 2 × retry_timeout; wal_sender_timeout, wal_receiver_timeout and tcp_user_timeout ≤ ${MAX_REPLICATION_TIMEOUT_S} s (a lost standby leaves the commit path within seconds, not minutes); failsafe_mode; in production, the watchdog required (fencing of an orphaned primary). pgBackRest client: asynchronous archiving (a lost backup site blocks neither commits nor a shutdown). ADR 0006.`,
  ),
  remediation: t(
    'Rendre Patroni avec le minutage et les délais de l’ADR 0006 (modules/services/fromTopology/postgres.ts) ; garder archive-async dans pgBackRest.',
    'Render Patroni with the timing and timeouts of ADR 0006 (modules/services/fromTopology/postgres.ts); keep archive-async in pgBackRest.',
  ),
  requirements: [...cctp('EXG_PCA_2', 'EXG_PCA_7', 'EXG_DIS_2.1'), ...secnum('17')],
  needs: ['topology', 'rendered'],
  appliesTo: (i) => rpoZeroScope(i) && Boolean(i.topology?.guests.some(isPgData)),
  check: (input) => {
    const out: Violation[] = [];
    const bad = (f: { owner: string; path: string }, pointer: string, value: unknown, fr: string, en: string) =>
      out.push({ subject: f.owner, message: t(`${f.owner} : ${fr}`, `${f.owner}: ${en}`), evidence: [{ file: `rendered:${f.path}`, pointer, value: value ?? null }] });
    for (const f of input.rendered!.filter(isPatroniConfig)) {
      const doc = parseYaml(f.content) as {
        bootstrap?: { dcs?: Record<string, unknown> & { postgresql?: { parameters?: Record<string, unknown> } } };
        watchdog?: { mode?: string };
      };
      const dcs = doc.bootstrap?.dcs ?? {};
      const ttl = Number(dcs.ttl);
      const bound = Number(dcs.loop_wait) + 2 * Number(dcs.retry_timeout);
      if (!(ttl <= MAX_TTL_S && ttl >= bound))
        bad(f, '/bootstrap/dcs/ttl', dcs.ttl, `ttl ${String(dcs.ttl)} s hors de [loop_wait + 2 × retry_timeout = ${bound}, ${MAX_TTL_S}].`, `ttl ${String(dcs.ttl)} s outside [loop_wait + 2 × retry_timeout = ${bound}, ${MAX_TTL_S}].`);
      if (dcs.failsafe_mode !== true) bad(f, '/bootstrap/dcs/failsafe_mode', dcs.failsafe_mode, 'failsafe_mode absent.', 'failsafe_mode missing.');
      const p = dcs.postgresql?.parameters ?? {};
      for (const k of ['wal_sender_timeout', 'wal_receiver_timeout', 'tcp_user_timeout']) {
        const s = seconds(p[k]);
        if (s === undefined || s <= 0 || s > MAX_REPLICATION_TIMEOUT_S)
          bad(f, `/bootstrap/dcs/postgresql/parameters/${k}`, p[k], `${k} ${String(p[k] ?? 'absent')} (attendu ≤ ${MAX_REPLICATION_TIMEOUT_S} s).`, `${k} ${String(p[k] ?? 'missing')} (expected ≤ ${MAX_REPLICATION_TIMEOUT_S} s).`);
      }
      if (isProduction(input) && doc.watchdog?.mode !== 'required')
        bad(f, '/watchdog/mode', doc.watchdog?.mode, `watchdog ${String(doc.watchdog?.mode ?? 'absent')} (requis en production).`, `watchdog ${String(doc.watchdog?.mode ?? 'missing')} (required in production).`);
    }
    const tp = input.topology!;
    for (const f of input.rendered!.filter((r) => r.service === 'backup' && r.guestService === 'postgresql')) {
      if (!/^archive-async=y$/m.test(f.content))
        bad(f, '/global/archive-async', null, 'archivage WAL synchrone : un site de sauvegarde perdu bloque l’archivage et les arrêts.', 'synchronous WAL archiving: a lost backup site blocks archiving and shutdowns.');
    }
    if (tp.guests.some(isPgData) && !input.rendered!.some(isPatroniConfig))
      out.push({ subject: 'postgresql', message: t('Aucune configuration Patroni rendue.', 'No Patroni configuration rendered.'), evidence: [{ file: 'rendered:', pointer: '/' }] });
    return out;
  },
  fixtures: {
    pass: { description: 'production timing, timeouts, failsafe, watchdog, async archiving', mutate: () => {} },
    fail: {
      description: 'one data node rendered with the default 60 s wal_sender_timeout',
      mutate: (i) => {
        const f = i.rendered!.find(isPatroniConfig)!;
        f.content = f.content.replace(/wal_sender_timeout: \S+/, 'wal_sender_timeout: 60s');
      },
    },
  },
};

export const CONTINUITY_RULES: Rule[] = [
  synchronousReplication,
  standbyInOtherSite,
  witnessesInThirdSite,
  noSinglePointOfFailure,
  hypervisorNMinusOne,
  stretchedDataServices,
  backupsOffsite,
  boundedFailover,
];

/**
 * Network: default deny, every open flow declared in the flow matrix, administration only
 * through the bastions, no management interface in the front zone, distinct planes, the WAF and
 * its virtual patches.
 */
import { PORTS } from '../../modules/model/ports.ts';
import type { Topology } from '../../modules/model/topology.ts';
import { envDoc, guestEvidence, isProduction, topo } from '../evidence/model.ts';
import { type FirewallRule, firewallRules, ipsetAddresses, ofType, ports, tfEvidence } from '../evidence/terraform.ts';
import { anssi, cctp, type Rule, secnum, t, type Violation } from '../types.ts';

const ruleEvidence = (r: FirewallRule, field: string, v: unknown) => tfEvidence(r.owner, ['rule', r.index, field], v);

const defaultDeny: Rule = {
  id: 'NET-001',
  set: 'network',
  severity: 'critical',
  title: t('Pare-feu en refus par défaut', 'Firewall default deny'),
  description: t(
    'Terraform : pare-feu de datacenter activé, politiques input et forward DROP ; pour chaque VM, pare-feu activé, input et output DROP, ipfilter et macfilter (anti-usurpation), et chaque carte réseau avec firewall = true.',
    'Terraform: datacenter firewall enabled, input and forward policies DROP; for every VM, firewall enabled, input and output DROP, ipfilter and macfilter (anti-spoofing), and every NIC with firewall = true.',
  ),
  remediation: t('Garder DROP par défaut et n’ouvrir que les flux de la matrice.', 'Keep DROP by default and open only the flows of the matrix.'),
  requirements: [...cctp('DUI-E6-2', 'DUI-E6-1', 'MESDMP-3.2.3.3.3-7', 'CAIH-AP-3', 'CAIH-S3B-1'), ...secnum('13'), ...anssi('ANSSI-PA-022')],
  needs: ['terraform'],
  check: (input) => {
    const tf = input.terraform!;
    const out: Violation[] = [];
    for (const fw of ofType(tf, 'proxmox_virtual_environment_cluster_firewall')) {
      for (const [k, want] of [
        ['enabled', true],
        ['input_policy', 'DROP'],
        ['forward_policy', 'DROP'],
      ] as const) {
        if (fw.body[k] !== want)
          out.push({
            subject: fw.stack,
            message: t(`${fw.stack} : ${k} = ${String(fw.body[k])}.`, `${fw.stack}: ${k} = ${String(fw.body[k])}.`),
            evidence: [tfEvidence(fw, [k], fw.body[k] ?? null)],
          });
      }
    }
    const options = new Map(ofType(tf, 'proxmox_virtual_environment_firewall_options').map((o) => [String(o.body.vm_id), o]));
    for (const vm of ofType(tf, 'proxmox_virtual_environment_vm')) {
      const o = options.get(String(vm.body.vm_id));
      if (!o) {
        out.push({
          subject: String(vm.body.name),
          message: t(`VM ${vm.body.name} sans options de pare-feu.`, `VM ${vm.body.name} has no firewall options.`),
          evidence: [tfEvidence(vm, ['vm_id'], vm.body.vm_id)],
        });
        continue;
      }
      for (const [k, want] of [
        ['enabled', true],
        ['input_policy', 'DROP'],
        ['output_policy', 'DROP'],
        ['ipfilter', true],
        ['macfilter', true],
      ] as const) {
        if (o.body[k] !== want)
          out.push({
            subject: String(vm.body.name),
            message: t(`VM ${vm.body.name} : ${k} = ${String(o.body[k])}.`, `VM ${vm.body.name}: ${k} = ${String(o.body[k])}.`),
            evidence: [tfEvidence(o, [k], o.body[k] ?? null)],
          });
      }
      ((vm.body.network_device as Array<Record<string, unknown>>) ?? []).forEach((nic, k) => {
        if (nic.firewall !== true)
          out.push({
            subject: String(vm.body.name),
            message: t(`VM ${vm.body.name} : carte ${k} hors pare-feu.`, `VM ${vm.body.name}: NIC ${k} bypasses the firewall.`),
            evidence: [tfEvidence(vm, ['network_device', k, 'firewall'], nic.firewall ?? null)],
          });
      });
    }
    return out;
  },
  fixtures: {
    pass: { description: 'synthesized production', mutate: () => {} },
    fail: {
      description: 'one VM with output ACCEPT',
      mutate: (i) => {
        const o = ofType(i.terraform!, 'proxmox_virtual_environment_firewall_options')[0]!;
        o.body.output_policy = 'ACCEPT';
      },
    },
  },
};

function matrixIndex(tp: Topology) {
  const idx = new Map<string, { sources: Set<string>; destinations: Set<string>; ports: Set<string>; protocol: string }>();
  for (const f of tp.flows) idx.set(f.id, { sources: new Set(), destinations: new Set(), ports: new Set(f.ports.map(String)), protocol: f.protocol });
  for (const e of tp.flowMatrix) {
    const x = idx.get(e.flow);
    x?.sources.add(e.source.ip);
    x?.destinations.add(e.destination.ip);
  }
  return idx;
}

const flowsDeclared: Rule = {
  id: 'NET-002',
  set: 'network',
  severity: 'high',
  title: t('Tout flux ouvert est déclaré dans la matrice des flux', 'Every open flow is declared in the flow matrix'),
  description: t(
    'Terraform + modèle : chaque règle ACCEPT (groupes de sécurité et règles de VM) nomme un flux déclaré (flows.ts) ; son protocole et ses ports sont ceux de la déclaration ; les adresses de ses IP sets sont des extrémités de ce flux dans la matrice IP (EXG_ART_1.2).',
    'Terraform + model: every ACCEPT rule (security groups and VM rules) names a declared flow (flows.ts); its protocol and ports are the declaration’s; the addresses of its IP sets are ends of that flow in the IP-level matrix (EXG_ART_1.2).',
  ),
  remediation: t(
    'Déclarer le flux dans modules/model/flows.ts (il sera rendu partout) au lieu d’ouvrir un port à la main.',
    'Declare the flow in modules/model/flows.ts (it is rendered everywhere) instead of opening a port by hand.',
  ),
  requirements: [...cctp('EXG_ART_1.2', 'DUI-E6-2', 'MESDMP-3.2.3.3.3-7'), ...secnum('13'), ...anssi('ANSSI-PA-022')],
  needs: ['topology', 'terraform'],
  check: (input) => {
    const tp = input.topology!;
    const tf = input.terraform!;
    const idx = matrixIndex(tp);
    const out: Violation[] = [];
    for (const r of firewallRules(tf).filter((x) => x.action === 'ACCEPT' && !x.securityGroup)) {
      const flowId = (r.comment ?? '').split(/\s/)[0] ?? '';
      const decl = idx.get(flowId);
      const where = `${r.owner.stack}/${r.owner.name}#${r.index}`;
      if (!decl) {
        out.push({
          subject: where,
          message: t(
            `Règle ACCEPT ${r.proto ?? ''}/${r.dport ?? '*'} sans flux déclaré (« ${r.comment ?? ''} »).`,
            `ACCEPT rule ${r.proto ?? ''}/${r.dport ?? '*'} with no declared flow ("${r.comment ?? ''}").`,
          ),
          evidence: [ruleEvidence(r, 'comment', r.comment ?? null)],
        });
        continue;
      }
      if (r.proto !== decl.protocol || !r.dport || ports(r.dport).some((p) => !decl.ports.has(p))) {
        out.push({
          subject: where,
          message: t(
            `Règle ${flowId} : ${r.proto}/${r.dport} hors de la déclaration (${decl.protocol}/${[...decl.ports].join(',')}).`,
            `Rule ${flowId}: ${r.proto}/${r.dport} outside the declaration (${decl.protocol}/${[...decl.ports].join(',')}).`,
          ),
          evidence: [ruleEvidence(r, 'dport', r.dport ?? null)],
        });
      }
      const ref = r.type === 'in' ? r.source : r.dest;
      const allowed = r.type === 'in' ? decl.sources : decl.destinations;
      if (ref?.startsWith('+')) {
        const addrs = ipsetAddresses(tf, r.owner.stack, ref) ?? [];
        const extra = addrs.filter((a) => !allowed.has(a));
        if (extra.length)
          out.push({
            subject: where,
            message: t(`Règle ${flowId} : ${extra.join(', ')} hors de la matrice.`, `Rule ${flowId}: ${extra.join(', ')} not in the matrix.`),
            evidence: [ruleEvidence(r, r.type === 'in' ? 'source' : 'dest', ref)],
          });
      } else if (ref && !allowed.has(ref)) {
        out.push({
          subject: where,
          message: t(`Règle ${flowId} : ${ref} hors de la matrice.`, `Rule ${flowId}: ${ref} not in the matrix.`),
          evidence: [ruleEvidence(r, r.type === 'in' ? 'source' : 'dest', ref)],
        });
      }
    }
    return out;
  },
  fixtures: {
    pass: { description: 'rules rendered from the matrix', mutate: () => {} },
    fail: {
      description: 'an undeclared port 5432 opened to the WAF',
      mutate: (i) => {
        const sg = ofType(i.terraform!, 'proxmox_virtual_environment_cluster_firewall_security_group').find((r) => String(r.body.name).endsWith('waf-node'))!;
        (sg.body.rule as unknown[]).push({
          action: 'ACCEPT',
          type: 'in',
          proto: 'tcp',
          dport: String(PORTS.postgres),
          source: '0.0.0.0/0',
          comment: 'debug',
          enabled: true,
        });
      },
    },
  },
};

const ADMIN_PORTS = new Set([PORTS.ssh, PORTS.proxmoxApi, PORTS.proxmoxSpice, PORTS.proxmoxVnc].map(String));
const MANAGEMENT_PORTS = new Set([
  ...ADMIN_PORTS,
  ...[
    PORTS.patroniRest,
    PORTS.haproxyStats,
    PORTS.nodeExporter,
    PORTS.pgExporter,
    PORTS.wafLogMetrics,
    PORTS.etcdClient,
    PORTS.etcdPeer,
    PORTS.postgres,
    PORTS.hsmKmip,
    PORTS.ocpApi,
    PORTS.ocpMachineConfig,
    PORTS.kafkaMetrics,
    PORTS.cephMgrMetrics,
    PORTS.cephMonV2,
    PORTS.cephMonV1,
  ].map(String),
]);

const adminThroughBastions: Rule = {
  id: 'NET-003',
  set: 'network',
  severity: 'critical',
  title: t('Administration uniquement par les bastions', 'Administration only through the bastions'),
  description: t(
    'Modèle : toute entrée de la matrice vers un port d’administration (22, 8006, 5900, 3128) part d’un bastion, sauf postes d’administration → bastion. Terraform : l’IP set « management » des clusters ne contient que des adresses de bastions ; toute règle ACCEPT vers ces ports a pour source l’IP set bastion-ssh ou, sur les bastions seulement, l’alias admin-workstations.',
    'Model: every matrix entry to an administration port (22, 8006, 5900, 3128) comes from a bastion, except admin workstations → bastion. Terraform: the clusters’ “management” IP set holds only bastion addresses; every ACCEPT rule to those ports has the bastion-ssh IP set as source or, on bastions only, the admin-workstations alias.',
  ),
  remediation: t(
    'Passer par les bastions (MFA, enregistrement de session) ; ne jamais ouvrir SSH ou l’API PVE à d’autres sources.',
    'Go through the bastions (MFA, session recording); never open SSH or the PVE API to other sources.',
  ),
  requirements: [...cctp('DUI-E6-3', 'EXG_SEC_7.3', 'MESDMP-7.3.8.1-1', 'CAIH-4.2-3', 'DUI-E2c-1', 'EXG_PSE_5'), ...secnum('9'), ...anssi('ANSSI-PA-022')],
  needs: ['topology'],
  check: (input) => {
    const tp = input.topology!;
    const out: Violation[] = [];
    const bastions = tp.guests.filter((g) => g.service === 'bastion');
    const bastionIps = new Set(bastions.flatMap((g) => g.nics.map((n) => n.ip)));
    tp.flowMatrix.forEach((e, k) => {
      if (!ADMIN_PORTS.has(String(e.port))) return;
      const toBastion = bastions.some((b) => b.name === e.destination.name);
      const ok = bastionIps.has(e.source.ip) || (toBastion && e.source.name === 'admin-workstations');
      if (!ok)
        out.push({
          subject: `${e.flow}:${e.destination.name}`,
          message: t(
            `${e.source.name} → ${e.destination.name}:${e.port} contourne les bastions.`,
            `${e.source.name} → ${e.destination.name}:${e.port} bypasses the bastions.`,
          ),
          evidence: [topo(tp, ['flowMatrix', k], `${e.flow} ${e.source.ip} -> ${e.destination.ip}:${e.port}`)],
        });
    });
    if (input.terraform) {
      const tf = input.terraform;
      const allBastionIps = new Set(
        [tp, ...input.peers].flatMap((p) =>
          p.guests.filter((g) => g.service === 'bastion' && p.environment.segregation === tp.environment.segregation).flatMap((g) => g.nics.map((n) => n.ip)),
        ),
      );
      for (const set of ofType(tf, 'proxmox_virtual_environment_firewall_ipset').filter((s) => s.body.name === 'management')) {
        for (const c of (set.body.cidr as Array<{ name: string }>) ?? []) {
          if (!allBastionIps.has(c.name))
            out.push({
              subject: `${set.stack}:management`,
              message: t(`${c.name} dans l’IP set management n’est pas un bastion.`, `${c.name} in the management IP set is not a bastion.`),
              evidence: [tfEvidence(set, ['cidr'], c.name)],
            });
        }
      }
      for (const r of firewallRules(tf).filter((x) => x.action === 'ACCEPT' && x.type === 'in' && ports(x.dport).some((p) => ADMIN_PORTS.has(p)))) {
        const src = r.source ?? '';
        const onBastion = /-bst-/.test(String(r.owner.body.name ?? ''));
        const ok = /bastion-ssh-in$/.test(src) || (onBastion && src === 'admin-workstations');
        if (!ok)
          out.push({
            subject: `${r.owner.stack}/${r.owner.name}#${r.index}`,
            message: t(
              `Port d’administration ${r.dport} ouvert depuis ${src || 'toute source'}.`,
              `Administration port ${r.dport} open from ${src || 'any source'}.`,
            ),
            evidence: [ruleEvidence(r, 'source', src || null)],
          });
      }
    }
    return out;
  },
  fixtures: {
    pass: { description: 'SSH only from bastions', mutate: () => {} },
    fail: {
      description: 'SSH opened from the monitoring nodes to a database',
      mutate: (i) => {
        const tp = i.topology!;
        const mon = tp.guests.find((g) => g.service === 'monitoring')!;
        const db = tp.guests.find((g) => g.service === 'postgresql' && g.role === 'primary')!;
        const adminIp = (g: typeof mon) => (g.nics.find((n) => n.zone === 'admin') ?? g.nics[0]!).ip;
        tp.flowMatrix.push({
          flow: 'debug-ssh',
          source: { name: mon.name, site: mon.site, zone: 'admin', ip: adminIp(mon) },
          destination: { name: db.name, site: db.site, zone: 'admin', ip: adminIp(db) },
          protocol: 'tcp',
          port: PORTS.ssh,
          plane: 'admin',
          purpose: 'debug',
        });
      },
    },
  },
};

const noManagementInFront: Rule = {
  id: 'NET-004',
  set: 'network',
  severity: 'critical',
  title: t('Aucune interface d’administration exposée en zone front', 'No management interface exposed in the front zone'),
  description: t(
    'Modèle : aucune entrée de la matrice n’atteint une adresse de la zone front sur un port d’administration, de supervision ou de données, et Internet n’atteint que le port 443 des WAF. Terraform : une règle dont la source est 0.0.0.0/0 n’ouvre que 443.',
    'Model: no matrix entry reaches a front-zone address on an administration, monitoring or data port, and the Internet reaches only port 443 of the WAFs. Terraform: a rule whose source is 0.0.0.0/0 opens only 443.',
  ),
  remediation: t(
    'Administrer les WAF par leur carte de la zone admin ; n’exposer que HTTPS.',
    'Administer the WAFs through their admin-zone NIC; expose only HTTPS.',
  ),
  requirements: [...cctp('MESDMP-3.2.3.3.3-6', 'DUI-E6-3', 'EXG_ARA_19'), ...secnum('13'), ...anssi('ANSSI-PA-022')],
  needs: ['topology'],
  check: (input) => {
    const tp = input.topology!;
    const out: Violation[] = [];
    tp.flowMatrix.forEach((e, k) => {
      const internet = e.source.name === 'internet';
      const bad =
        (e.destination.zone === 'front' && MANAGEMENT_PORTS.has(String(e.port))) ||
        (internet && (String(e.port) !== String(PORTS.waf) || tp.guests.find((g) => g.name === e.destination.name)?.service !== 'waf'));
      if (bad)
        out.push({
          subject: `${e.flow}:${e.destination.name}:${e.port}`,
          message: t(
            `${e.source.name} → ${e.destination.name}:${e.port} (zone ${e.destination.zone}).`,
            `${e.source.name} → ${e.destination.name}:${e.port} (zone ${e.destination.zone}).`,
          ),
          evidence: [topo(tp, ['flowMatrix', k], `${e.flow} ${e.source.ip} -> ${e.destination.ip}:${e.port}`)],
        });
    });
    if (input.terraform) {
      for (const r of firewallRules(input.terraform).filter(
        (x) => x.action === 'ACCEPT' && x.type === 'in' && (x.source === '0.0.0.0/0' || x.source === undefined),
      )) {
        if (ports(r.dport).join(',') !== String(PORTS.waf))
          out.push({
            subject: `${r.owner.stack}/${r.owner.name}#${r.index}`,
            message: t(`Port ${r.dport ?? '*'} ouvert à Internet.`, `Port ${r.dport ?? '*'} open to the Internet.`),
            evidence: [ruleEvidence(r, 'dport', r.dport ?? null)],
          });
      }
    }
    return out;
  },
  fixtures: {
    pass: { description: 'Internet reaches WAF:443 only', mutate: () => {} },
    fail: {
      description: 'node exporter scraped on the WAF front address',
      mutate: (i) => {
        const tp = i.topology!;
        const waf = tp.guests.find((g) => g.service === 'waf')!;
        const mon = tp.guests.find((g) => g.service === 'monitoring')!;
        tp.flowMatrix.push({
          flow: 'monitoring-scrape',
          source: { name: mon.name, site: mon.site, zone: 'admin', ip: mon.nics[0]!.ip },
          destination: { name: waf.name, site: waf.site, zone: 'front', ip: waf.nics[0]!.ip },
          protocol: 'tcp',
          port: PORTS.nodeExporter,
          plane: 'admin',
          purpose: 'scrape',
        });
      },
    },
  },
};

const distinctPlanes: Rule = {
  id: 'NET-005',
  set: 'network',
  severity: 'medium',
  title: t('Plans applicatif, administration et sauvegarde sur des VLAN distincts', 'Application, administration and backup planes on distinct VLANs'),
  description: t(
    'Topologie : sur chaque site les zones ont des VLAN distincts ; chaque VM a une carte en zone admin, chaque porteur de données une carte en zone backup.',
    'Topology: on every site the zones have distinct VLANs; every VM has an admin-zone NIC, every data holder a backup-zone NIC.',
  ),
  remediation: t('Garder un VLAN par zone et les cartes admin/backup du modèle.', 'Keep one VLAN per zone and the model’s admin/backup NICs.'),
  requirements: [...cctp('MESDMP-3.2.3.3.3-5', 'MESDMP-3.2.3.3.6-2', 'DUI-E6-2', 'MESDMP-3.2.3.3.3-6'), ...secnum('13'), ...anssi('ANSSI-PA-022')],
  needs: ['topology'],
  check: (input) => {
    const tp = input.topology!;
    const out: Violation[] = [];
    for (const site of new Set(tp.zones.map((z) => z.site))) {
      const vlans = tp.zones.filter((z) => z.site === site).map((z) => z.vlan);
      if (new Set(vlans).size !== vlans.length)
        out.push({
          subject: `${site}-vlans`,
          message: t(`Des zones de ${site} partagent un VLAN (${vlans.join(', ')}).`, `Zones of ${site} share a VLAN (${vlans.join(', ')}).`),
          evidence: [topo(tp, ['zones'], vlans)],
        });
    }
    for (const g of tp.guests.filter((x) => x.hosting === 'vm')) {
      const zones = g.nics.map((n) => n.zone);
      if (!zones.includes('admin'))
        out.push({
          subject: g.name,
          message: t(`${g.name} sans carte d’administration.`, `${g.name} has no admin NIC.`),
          evidence: [guestEvidence(tp, g, 'nics')],
        });
    }
    return out;
  },
  fixtures: {
    pass: { description: 'distinct VLANs', mutate: () => {} },
    fail: {
      description: 'admin VLAN of DC1 equal to front',
      mutate: (i) => {
        i.topology!.zones.find((z) => z.site === 'DC1' && z.zone === 'admin')!.vlan = i.topology!.zones.find(
          (z) => z.site === 'DC1' && z.zone === 'front',
        )!.vlan;
      },
    },
  },
};

const wafHardened: Rule = {
  id: 'NET-006',
  set: 'network',
  severity: 'high',
  title: t('WAF actif/actif, terminaison TLS, CRS actif, modèle positif', 'WAF active/active, TLS termination, CRS on, positive model'),
  description: t(
    'Modèle : WAF en active-active avec terminaison TLS, deux par site principal en production. Configuration nginx+ModSecurity rendue pour chaque WAF : SecRuleEngine On, règles OWASP CRS incluses, modèle positif d’API inclus.',
    'Model: WAF active-active with TLS termination, two per primary site in production. Rendered nginx+ModSecurity configuration of every WAF: SecRuleEngine On, OWASP CRS rules included, API positive model included.',
  ),
  remediation: t(
    'Garder waf.terminatesTls et le moteur ModSecurity en mode On avec la CRS.',
    'Keep waf.terminatesTls and the ModSecurity engine On with the CRS.',
  ),
  requirements: [...cctp('EXG_WAF_1', 'MESDMP-3.2.3.3.3-3', 'MESDMP-3.2.2.6-1', 'EXG_SEC_3.5', 'CAIH-S3B-1'), ...secnum('13'), ...anssi('ANSSI-PA-035')],
  needs: ['topology', 'rendered'],
  appliesTo: (i) => Boolean(i.topology?.guests.some((g) => g.service === 'waf')),
  check: (input) => {
    const tp = input.topology!;
    const out: Violation[] = [];
    const w = input.environment?.doc.services.waf;
    if (w && !w.terminatesTls)
      out.push({
        subject: 'tls',
        message: t('Le WAF ne termine pas TLS.', 'The WAF does not terminate TLS.'),
        evidence: [envDoc(input, ['services', 'waf', 'terminatesTls'], w.terminatesTls)],
      });
    if (isProduction(input)) {
      for (const s of tp.sites.filter((x) => x.role === 'primary')) {
        const n = tp.guests.filter((g) => g.service === 'waf' && g.site === s.id).length;
        if (n < 2)
          out.push({
            subject: `waf-${s.id}`,
            message: t(`${n} WAF sur ${s.id} (2 attendus).`, `${n} WAF on ${s.id} (2 expected).`),
            evidence: [envDoc(input, ['services', 'waf', 'perSite'], w?.perSite)],
          });
      }
    }
    for (const g of tp.guests.filter((x) => x.service === 'waf')) {
      const files = input.rendered!.filter((r) => r.service === 'waf' && r.owner === g.name);
      const main = files.find((f) => f.path.endsWith('modsecurity/main.conf'));
      const problems: string[] = [];
      if (!main) problems.push(files.find((f) => f.error)?.error ?? 'no ModSecurity configuration');
      else {
        if (!/^SecRuleEngine On$/m.test(main.content)) problems.push('SecRuleEngine is not On');
        if (!/^Include \S+modsecurity-crs\/rules\/\*\.conf$/m.test(main.content) && !/^Include .*crs.*\.conf$/m.test(main.content))
          problems.push('OWASP CRS not included');
        if (!/positive-model\.conf/.test(main.content)) problems.push('no positive model');
      }
      if (problems.length)
        out.push({
          subject: g.name,
          message: t(`${g.name} : ${problems.join(', ')}.`, `${g.name}: ${problems.join(', ')}.`),
          evidence: [{ file: `rendered:${main?.path ?? `waf/${g.name}`}`, pointer: '/SecRuleEngine' }],
        });
    }
    return out;
  },
  fixtures: {
    pass: { description: 'rendered WAF with CRS', mutate: () => {} },
    fail: {
      description: 'ModSecurity in DetectionOnly on one WAF',
      mutate: (i) => {
        const f = i.rendered!.find((r) => r.path.endsWith('modsecurity/main.conf'))!;
        f.content = f.content.replace('SecRuleEngine On', 'SecRuleEngine DetectionOnly');
      },
    },
  },
};

const virtualPatchesCurrent: Rule = {
  id: 'NET-007',
  set: 'network',
  severity: 'medium',
  title: t('Correctifs virtuels du WAF justifiés et non expirés', 'WAF virtual patches justified and not expired'),
  description: t(
    'Modèle : chaque correctif virtuel du WAF (services.waf.virtualPatches) cite au moins une CVE ou porte une justification, et sa date d’expiration (expires) n’est pas antérieure à la date du rapport (--today). Un correctif expiré reste rendu et actif (le retirer en silence serait pire) : c’est sa revue qui est en retard. La règle ne vérifie pas que l’application a été corrigée ni que le correctif bloque l’attaque (test d’intégration modules/lab/wafPatches.int.test.ts).',
    'Model: every WAF virtual patch (services.waf.virtualPatches) cites at least one CVE or carries a justification, and its expiry date (expires) is not before the report date (--today). An expired patch stays rendered and active (removing it silently would be worse): its review is overdue. The rule does not check that the application was fixed or that the patch blocks the attack (integration test modules/lab/wafPatches.int.test.ts).',
  ),
  remediation: t(
    'Revoir le correctif : le retirer (hdsctl waf patch remove) si l’application est corrigée, sinon repousser expires avec la raison ; citer la CVE ou justifier le correctif.',
    'Review the patch: remove it (hdsctl waf patch remove) once the application is fixed, else move expires on with the reason; cite the CVE or justify the patch.',
  ),
  requirements: [...cctp('EXG_WAF_1', 'EXG_SEC_5.4'), ...secnum('12')],
  needs: ['topology'],
  appliesTo: (i) => Boolean(i.topology?.guests.some((g) => g.service === 'waf')),
  check: (input) => {
    const out: Violation[] = [];
    (input.environment?.doc.services.waf?.virtualPatches ?? []).forEach((p, k) => {
      const at = (field: string, v: unknown) => envDoc(input, ['services', 'waf', 'virtualPatches', k, field], v);
      if (p.expires < input.today)
        out.push({
          subject: p.id,
          message: t(
            `Le correctif virtuel ${p.id} a expiré le ${p.expires} (revue en retard).`,
            `Virtual patch ${p.id} expired on ${p.expires} (review overdue).`,
          ),
          evidence: [at('expires', p.expires)],
        });
      if ((p.cve ?? []).length === 0 && !p.justification?.trim())
        out.push({
          subject: p.id,
          message: t(`Le correctif virtuel ${p.id} ne cite ni CVE ni justification.`, `Virtual patch ${p.id} cites neither a CVE nor a justification.`),
          evidence: [at('id', p.id)],
        });
    });
    return out;
  },
  fixtures: {
    pass: { description: 'shipped patches, all justified and before their expiry', mutate: () => {} },
    fail: {
      description: 'one patch expired the day before the report, another without CVE or justification',
      mutate: (i) => {
        const list = i.environment!.doc.services.waf!.virtualPatches!;
        list[0]!.expires = '2026-11-22';
        delete list[1]!.cve;
        delete list[1]!.justification;
      },
    },
  },
};

export const NETWORK_RULES: Rule[] = [
  defaultDeny,
  flowsDeclared,
  adminThroughBastions,
  noManagementInFront,
  distinctPlanes,
  wafHardened,
  virtualPatchesCurrent,
];

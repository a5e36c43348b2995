/**
 * Supervision: an availability probe for every exposed service, the non-event alert (EXG_MON_4)
 * and capacity metrics (EXG_MON_6), read from the flow matrix and the rendered Prometheus files.
 */
import { parse as parseYaml } from 'yaml';
import { guestEvidence, topo } from '../evidence/model.ts';
import { cctp, type PolicyInput, type Rule, secnum, t, type Violation } from '../types.ts';

const exposed = (i: PolicyInput) => {
  const tp = i.topology!;
  const names = new Set(tp.flowMatrix.filter((e) => e.source.name === 'internet').map((e) => e.destination.name));
  return tp.guests.filter((g) => names.has(g.name));
};
const prometheus = (i: PolicyInput) => i.rendered!.find((r) => r.service === 'monitoring' && r.path.endsWith('prometheus.yml'));
const alertRules = (i: PolicyInput) => i.rendered!.find((r) => r.service === 'monitoring' && r.path.endsWith('hds-alerts.yml'));

const availabilityProbes: Rule = {
  id: 'MON-001',
  set: 'supervision',
  severity: 'high',
  title: t('Sonde de disponibilité pour chaque service exposé', 'Availability probe for every exposed service'),
  description: t(
    'Modèle + Prometheus rendu : chaque invité atteint depuis Internet (matrice des flux) est la cible d’une sonde synthétique (job synthetic_health, GET /health sans écriture) et d’une entrée monitoring-probe de la matrice ; en production, une supervision existe sur chaque site principal.',
    'Model + rendered Prometheus: every guest reached from the Internet (flow matrix) is the target of a synthetic probe (job synthetic_health, GET /health, no write) and of a monitoring-probe matrix entry; in production, monitoring exists on every primary site.',
  ),
  remediation: t(
    'Déclarer services.monitoring sur chaque site et une sonde par point d’entrée.',
    'Declare services.monitoring on every site and one probe per entry point.',
  ),
  requirements: [...cctp('EXG_DIS_1.5', 'EXG_MON_3'), ...secnum('12')],
  needs: ['topology', 'rendered'],
  appliesTo: (i) => Boolean(i.topology && exposed(i).length),
  check: (input) => {
    const tp = input.topology!;
    const out: Violation[] = [];
    const prom = prometheus(input);
    const jobs = prom
      ? ((parseYaml(prom.content) as { scrape_configs?: Array<{ job_name: string; static_configs?: Array<{ targets: string[] }> }> }).scrape_configs ?? [])
      : [];
    const probed = new Set(jobs.filter((j) => j.job_name === 'synthetic_health').flatMap((j) => (j.static_configs ?? []).flatMap((s) => s.targets)));
    for (const g of exposed(input)) {
      const url = [...probed].find((u) => u.includes(`//${g.nics[0]!.ip}:`));
      const flow = tp.flowMatrix.some((e) => e.flow === 'monitoring-probe' && e.destination.name === g.name);
      if (!url || !flow)
        out.push({
          subject: g.name,
          message: t(`${g.name} exposé sans sonde de disponibilité.`, `${g.name} exposed without an availability probe.`),
          evidence: [prom ? { file: `rendered:${prom.path}`, pointer: '/scrape_configs/synthetic_health' } : guestEvidence(tp, g)],
        });
    }
    for (const s of tp.environment.class === 'production' ? tp.sites.filter((x) => x.role === 'primary') : []) {
      if (!tp.guests.some((g) => g.service === 'monitoring' && g.site === s.id))
        out.push({
          subject: `monitoring-${s.id}`,
          message: t(`Aucune supervision sur ${s.id}.`, `No monitoring on ${s.id}.`),
          evidence: [topo(tp, ['services'])],
        });
    }
    return out;
  },
  fixtures: {
    pass: { description: 'a probe per WAF', mutate: () => {} },
    fail: {
      description: 'the probe of one WAF removed',
      mutate: (i) => {
        const f = prometheus(i)!;
        const waf = i.topology!.guests.find((g) => g.service === 'waf')!;
        f.content = f.content
          .split('\n')
          .filter((l) => !(l.includes(`//${waf.nics[0]!.ip}:`) && l.includes('/health')))
          .join('\n');
      },
    },
  },
};

const nonEventAlert: Rule = {
  id: 'MON-002',
  set: 'supervision',
  severity: 'medium',
  title: t('Alerte de non-événement', 'Non-event alert'),
  description: t(
    'Règles d’alerte rendues : le groupe hds-non-events a une alerte « aucune écriture depuis N minutes » par domaine PostgreSQL (fenêtre par défaut 30 min tant que Cnam n’a pas validé les seuils).',
    'Rendered alert rules: the hds-non-events group has a “no write for N minutes” alert per PostgreSQL domain (30-minute default window until Cnam validates thresholds).',
  ),
  remediation: t(
    'Déclarer un non-événement par flux métier et faire valider les seuils.',
    'Declare a non-event per business flow and have the thresholds validated.',
  ),
  requirements: [...cctp('EXG_MON_4', 'EXG_MON_3'), ...secnum('12')],
  needs: ['topology', 'rendered'],
  appliesTo: (i) => Boolean(i.topology?.guests.some((g) => g.domain) && i.topology?.guests.some((g) => g.service === 'monitoring')),
  check: (input) => {
    const f = alertRules(input);
    const groups = f ? ((parseYaml(f.content) as { groups?: Array<{ name: string; rules: Array<{ alert: string }> }> }).groups ?? []) : [];
    const alerts = new Set(groups.find((g) => g.name === 'hds-non-events')?.rules.map((r) => r.alert) ?? []);
    return [...new Set(input.topology!.guests.filter((g) => g.domain).map((g) => g.domain!))]
      .filter((d) => !alerts.has(`NoWriteActivity_${d}`))
      .map((d) => ({
        subject: d,
        message: t(`Pas d’alerte de non-événement pour ${d}.`, `No non-event alert for ${d}.`),
        evidence: [{ file: `rendered:${f?.path ?? 'monitoring'}`, pointer: '/groups/hds-non-events' }],
      }));
  },
  fixtures: {
    pass: { description: 'one alert per domain', mutate: () => {} },
    fail: {
      description: 'non-event group emptied',
      mutate: (i) => {
        const f = alertRules(i)!;
        f.content = f.content.replace(/NoWriteActivity_documents/g, 'SomethingElse_documents');
      },
    },
  },
};

const capacityMetrics: Rule = {
  id: 'MON-003',
  set: 'supervision',
  severity: 'medium',
  title: t('Métriques de capacité de chaque composant', 'Capacity metrics of every component'),
  description: t(
    'Matrice des flux : chaque VM est scrutée par node exporter (monitoring-scrape, CPU, mémoire, disque, réseau). Les HSM (appliances) et les pare-feux des chaînes de sécurité n’ont pas de source de métriques dans le modèle : ils sont signalés tant qu’un flux SNMP/exporter n’est pas déclaré.',
    'Flow matrix: every VM is scraped by node exporter (monitoring-scrape: CPU, memory, disk, network). HSM appliances and the security chains’ firewalls have no metrics source in the model: they are reported until an SNMP/exporter flow is declared.',
  ),
  remediation: t(
    'Déclarer les flux de métriques des appliances (SNMP ou exporter) dans flows.ts.',
    'Declare the appliances’ metrics flows (SNMP or exporter) in flows.ts.',
  ),
  requirements: [...cctp('EXG_MON_6', 'EXG_VOL_3', 'EXG_MON_3'), ...secnum('12')],
  needs: ['topology'],
  appliesTo: (i) => Boolean(i.topology?.guests.some((g) => g.service === 'monitoring')),
  check: (input) => {
    const tp = input.topology!;
    const scraped = new Set(tp.flowMatrix.filter((e) => e.flow === 'monitoring-scrape' || e.flow.startsWith('monitoring-')).map((e) => e.destination.name));
    const out: Violation[] = tp.guests
      .filter((g) => !scraped.has(g.name) && g.service !== 'monitoring')
      .map((g) => ({
        subject: g.hosting === 'appliance' ? `${g.service}-appliances` : g.name,
        message: t(`${g.name} (${g.hosting}) sans métriques de capacité.`, `${g.name} (${g.hosting}) has no capacity metrics.`),
        evidence: [guestEvidence(tp, g)],
      }));
    const seen = new Set<string>();
    return out.filter((v) => {
      if (seen.has(v.subject) && v.subject.endsWith('-appliances')) return false;
      seen.add(v.subject);
      return true;
    });
  },
  fixtures: {
    pass: { description: 'production as modelled: node exporter on every VM, SNMP on the HSM appliances', mutate: () => {} },
    fail: {
      description: 'production without the SNMP flow to the HSM appliances',
      mutate: (i) => {
        const tp = i.topology!;
        tp.flowMatrix = tp.flowMatrix.filter((e) => e.flow !== 'monitoring-hsm-snmp');
      },
    },
  },
};

export const SUPERVISION_RULES: Rule[] = [availabilityProbes, nonEventAlert, capacityMetrics];

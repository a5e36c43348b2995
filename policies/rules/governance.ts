/** Governance: waivers that expired (an expired waiver is itself a finding) and open-source components. */
import { envDoc } from '../evidence/model.ts';
import { cctp, type PolicyInput, type Rule, secnum, t, type Violation } from '../types.ts';
import { waiverExpired, waiverInScope } from '../waiverScope.ts';

const expiredWaivers: Rule = {
  id: 'GOV-001',
  set: 'governance',
  severity: 'high',
  title: t('Dérogation expirée', 'Expired waiver'),
  description: t(
    'Fichier de dérogations : toute dérogation du périmètre de la cible dont la date d’expiration est passée (elle ne s’applique plus, et c’est un écart en soi).',
    'Waivers file: every waiver scoped to the target whose expiry date has passed (it no longer applies, and that is a finding in itself).',
  ),
  remediation: t(
    'Corriger l’écart ou renouveler la dérogation avec une nouvelle justification et un propriétaire.',
    'Fix the finding or renew the waiver with a new justification and owner.',
  ),
  requirements: [...cctp('EXG_SEC_0.1'), ...secnum('18')],
  needs: [],
  check: (input: PolicyInput) =>
    input.waivers
      .filter((w) => waiverInScope(w, input.target) && waiverExpired(w, input.today))
      .map(
        (w): Violation => ({
          subject: w.id,
          message: t(
            `La dérogation ${w.id} (${w.rule}, ${w.owner}) a expiré le ${w.expires}.`,
            `Waiver ${w.id} (${w.rule}, ${w.owner}) expired on ${w.expires}.`,
          ),
          evidence: [{ file: 'policies/waivers.yaml', pointer: `/waivers/${input.waivers.indexOf(w)}/expires`, value: w.expires }],
        }),
      ),
  fixtures: {
    pass: {
      description: 'no expired waiver',
      mutate: (i) => {
        i.waivers = [];
      },
    },
    fail: {
      description: 'a waiver expired yesterday',
      mutate: (i) => {
        i.waivers.push({ id: 'W-OLD', rule: 'NET-001', scope: { environment: '*' }, justification: 'test', owner: 'rssi', expires: '2000-01-01' });
      },
    },
  },
};

const openSourceStack: Rule = {
  id: 'GOV-002',
  set: 'governance',
  severity: 'low',
  title: t('Briques open source, sans dépendance d’activation', 'Open-source bricks, no activation dependency'),
  description: t(
    'Modèle : chaque brique déclarée est open source (Proxmox VE, PostgreSQL/Patroni, Kafka, Ceph, nginx+ModSecurity, Prometheus, etcd, HAProxy, pgBackRest) ; la distribution OpenShift est OKD plutôt qu’OCP (abonnement). Les HSM qualifiés (Trustway Proteccio) sont imposés par le CCTP et exclus.',
    'Model: every declared brick is open source (Proxmox VE, PostgreSQL/Patroni, Kafka, Ceph, nginx+ModSecurity, Prometheus, etcd, HAProxy, pgBackRest); the OpenShift distribution is OKD rather than OCP (subscription). Qualified HSMs (Trustway Proteccio) are mandated by the CCTP and excluded.',
  ),
  remediation: t('Préférer OKD, ou justifier OCP par une dérogation (support éditeur).', 'Prefer OKD, or justify OCP with a waiver (vendor support).'),
  requirements: [
    ...cctp('EXG_ARA_5', 'CAIH-3.3-1', 'CAIH-AP-2', 'CAIH-3.3-4', 'CAIH-P2-2', 'EXG_DIS_1.15', 'EXG_ENV_8', 'EXG_MNT_8', 'MESDMP-3.6.1-1'),
    ...secnum('15'),
  ],
  needs: ['topology'],
  check: (input) => {
    const ocp = input.environment?.doc.services.openshift?.distribution;
    return ocp === 'ocp'
      ? [
          {
            subject: 'openshift',
            message: t('OpenShift Container Platform dépend d’un abonnement Red Hat.', 'OpenShift Container Platform depends on a Red Hat subscription.'),
            evidence: [envDoc(input, ['services', 'openshift', 'distribution'], ocp)],
          },
        ]
      : [];
  },
  fixtures: {
    pass: {
      description: 'OKD',
      mutate: (i) => {
        i.environment!.doc.services.openshift!.distribution = 'okd';
      },
    },
    fail: {
      description: 'OCP',
      mutate: (i) => {
        i.environment!.doc.services.openshift!.distribution = 'ocp';
      },
    },
  },
};

export const GOVERNANCE_RULES: Rule[] = [expiredWaivers, openSourceStack];

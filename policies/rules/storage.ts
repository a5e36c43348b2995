/**
 * Storage (Ceph, docs/storage.md): the stretched cluster as production's hosts receive it — every
 * host's ceph.conf and the bootstrap plan on the first monitor (modules/services/fromTopology/
 * ceph.ts, production profile). Pools stretched over both datacenters and never under 3 copies,
 * the tie-breaker monitor in the third site (EXG_PCA_2, EXG_PRA_1), the object gateway's own
 * encryption on top of cephx and msgr2 secure mode (EXG_SEC_4.3, EXG_SEC_4.1).
 *
 * What they prove: the files and the plan production ships have the property. What they cannot:
 * that a running cluster was bootstrapped from them (the lab and its integration tests do), nor
 * that the bare-metal OSD hosts received them (their NoCloud seeds are rendered by
 * `hdsctl baremetal seeds`, never booted here: docs/storage.md).
 */
import { CEPH_PATHS } from '../../modules/services/fromTopology/paths.ts';
import type { CephBootstrapPlan } from '../../modules/services/ceph/crush.ts';
import { parseCephConf } from '../../modules/services/ceph/render.ts';
import { envDoc, isProduction } from '../evidence/model.ts';
import { anssi, cctp, type PolicyInput, type RenderedConfig, type Rule, secnum, t, type Violation } from '../types.ts';

const isCephConf = (r: RenderedConfig) => r.service === 'ceph' && r.file === CEPH_PATHS.config;
const isCephPlan = (r: RenderedConfig) => r.service === 'ceph' && r.file === CEPH_PATHS.bootstrapPlan;
const hasCeph = (i: PolicyInput) => Boolean(i.topology?.ceph);
const at = (f: RenderedConfig, pointer: string, value?: unknown) => ({ file: `rendered:${f.path}`, pointer, ...(value !== undefined ? { value } : {}) });

/** Renderer refusals and a missing or unreadable plan: the evidence itself is wrong. */
function evidenceProblems(input: PolicyInput): { plan?: { file: RenderedConfig; doc: CephBootstrapPlan }; out: Violation[] } {
  const out: Violation[] = [];
  for (const f of input.rendered!.filter((r) => r.service === 'ceph' && r.error))
    out.push({
      subject: f.owner,
      message: t(`${f.owner} (ceph) : configuration non rendue (${f.error}).`, `${f.owner} (ceph): configuration not rendered (${f.error}).`),
      evidence: [at(f, '/')],
    });
  const plans = input.rendered!.filter(isCephPlan);
  if (plans.length !== 1) {
    if (!out.length)
      out.push({
        subject: 'ceph-plan',
        message: t(`${plans.length} plans d’amorçage Ceph rendus, un attendu.`, `${plans.length} Ceph bootstrap plans rendered, one expected.`),
        evidence: [envDoc(input, ['services', 'ceph'])],
      });
    return { out };
  }
  try {
    return { plan: { file: plans[0]!, doc: JSON.parse(plans[0]!.content) as CephBootstrapPlan }, out };
  } catch {
    out.push({ subject: 'ceph-plan', message: t('Plan d’amorçage Ceph illisible.', 'Unreadable Ceph bootstrap plan.'), evidence: [at(plans[0]!, '/')] });
    return { out };
  }
}

const stretchedPools: Rule = {
  id: 'CONT-009',
  set: 'continuity',
  severity: 'critical',
  title: t('Pools Ceph étirés sur les deux datacenters (4 copies, 2 par site)', 'Ceph pools stretched over both datacenters (4 copies, 2 per site)'),
  description: t(
    'Plan d’amorçage rendu (premier moniteur) : la règle CRUSH stretch_rule prend chacun des deux datacenters du modèle et deux hôtes dans chacun ; chaque pool a size 4, min_size 2 et cette règle ; le mode étiré est activé sur cette règle par datacenter. ceph.conf de chaque hôte : osd_pool_default_size 4, min_size 2. Ne voit pas un pool créé à la main après l’amorçage.',
    'Rendered bootstrap plan (first monitor): the stretch_rule CRUSH rule takes each of the model’s two datacenters and two hosts in each; every pool has size 4, min_size 2 and that rule; stretch mode is enabled on that rule by datacenter. Every host’s ceph.conf: osd_pool_default_size 4, min_size 2. Cannot see a pool created by hand after the bootstrap.',
  ),
  remediation: t(
    'Déclarer services.ceph.stretched sur les deux datacenters (2 hôtes OSD ou plus par site) ; ne pas modifier le plan rendu.',
    'Declare services.ceph.stretched over both datacenters (2 OSD hosts or more per site); do not edit the rendered plan.',
  ),
  requirements: [...cctp('EXG_PCA_2', 'EXG_PRA_1', 'EXG_DIS_2.1'), ...secnum('17')],
  needs: ['topology', 'rendered'],
  appliesTo: hasCeph,
  check: (input) => {
    const { plan, out } = evidenceProblems(input);
    if (!plan) return out;
    const { file, doc } = plan;
    const sites = input.topology!.ceph!.sites;
    const dcs = doc.crush.datacenters ?? [];
    if (dcs.length !== 2 || !sites.every((s) => dcs.some((d) => d.site === s)))
      out.push({
        subject: 'crush',
        message: t(
          `Hiérarchie CRUSH sur ${dcs.map((d) => d.site).join(', ')} au lieu de ${sites.join(', ')}.`,
          `CRUSH hierarchy over ${dcs.map((d) => d.site).join(', ')} instead of ${sites.join(', ')}.`,
        ),
        evidence: [at(file, '/crush/datacenters')],
      });
    const rule = doc.crush.rule;
    const takes = [...rule.text.matchAll(/step take (\S+)\s+step chooseleaf firstn (\d+) type (\S+)\s+step emit/g)].map((m) => ({
      bucket: m[1],
      n: Number(m[2]),
      type: m[3],
    }));
    const spans =
      takes.length === 2 &&
      takes.every((x) => x.n === 2 && x.type === 'host') &&
      new Set(takes.map((x) => x.bucket)).size === 2 &&
      takes.every((x) => dcs.some((d) => d.bucket === x.bucket));
    if (!spans)
      out.push({
        subject: rule.name,
        message: t(
          `La règle ${rule.name} ne place pas 2 copies sur 2 hôtes dans chacun des deux datacenters.`,
          `Rule ${rule.name} does not place 2 copies on 2 hosts in each of the two datacenters.`,
        ),
        evidence: [at(file, '/crush/rule/text', rule.text)],
      });
    doc.crush.pools.forEach((p, k) => {
      if (p.size !== 4 || p.minSize !== 2 || p.rule !== rule.name)
        out.push({
          subject: `pool:${p.name}`,
          message: t(
            `Pool ${p.name} : size ${p.size}, min_size ${p.minSize}, règle ${p.rule} (attendu 4 / 2 / ${rule.name}).`,
            `Pool ${p.name}: size ${p.size}, min_size ${p.minSize}, rule ${p.rule} (expected 4 / 2 / ${rule.name}).`,
          ),
          evidence: [at(file, `/crush/pools/${k}`, { size: p.size, minSize: p.minSize, rule: p.rule })],
        });
    });
    const enables = doc.steps.some((s) => s.kind === 'run' && s.argv[2] === 'enable_stretch_mode' && s.argv[4] === rule.name && s.argv[5] === 'datacenter');
    if (!enables)
      out.push({
        subject: 'stretch-mode',
        message: t('Le plan n’active pas le mode étiré par datacenter.', 'The plan does not enable stretch mode by datacenter.'),
        evidence: [at(file, '/steps')],
      });
    for (const f of input.rendered!.filter(isCephConf)) {
      const g = parseCephConf(f.content).get('global');
      if (g?.get('osd_pool_default_size') !== '4' || g.get('osd_pool_default_min_size') !== '2')
        out.push({
          subject: f.owner,
          message: t(
            `${f.owner} : pools par défaut ${g?.get('osd_pool_default_size')} / ${g?.get('osd_pool_default_min_size')} (attendu 4 / 2).`,
            `${f.owner}: default pools ${g?.get('osd_pool_default_size')} / ${g?.get('osd_pool_default_min_size')} (expected 4 / 2).`,
          ),
          evidence: [at(f, '/global/osd_pool_default_size', g?.get('osd_pool_default_size') ?? null)],
        });
    }
    return out;
  },
  fixtures: {
    pass: { description: 'production: every pool 4 / 2 on the stretch rule', mutate: () => {} },
    fail: {
      description: 'one pool of the plan at 3 copies',
      mutate: (i) =>
        editPlan(i, (p) => {
          p.crush.pools[0]!.size = 3;
        }),
    },
  },
};

const tiebreaker: Rule = {
  id: 'CONT-010',
  set: 'continuity',
  severity: 'high',
  title: t('Moniteur départageur Ceph sur le troisième site', 'Ceph tie-breaker monitor in the third site'),
  description: t(
    'Plan d’amorçage rendu : le moniteur départageur du mode étiré est situé sur un site qui n’est pas un datacenter de données et ne porte aucun hôte OSD ; les moniteurs couvrent les trois sites, chaque datacenter de données en a au moins un. Ne voit pas la latence réelle vers DC3.',
    'Rendered bootstrap plan: stretch mode’s tie-breaker monitor is located in a site that is not a data datacenter and holds no OSD host; the monitors cover the three sites, each data datacenter has one at least. Cannot see the actual latency to DC3.',
  ),
  remediation: t(
    'Mettre services.ceph.stretched.witnessSite sur le site de secours (DC3).',
    'Set services.ceph.stretched.witnessSite to the backup site (DC3).',
  ),
  requirements: [...cctp('EXG_PCA_2', 'EXG_PRA_1'), ...anssi('ANSSI-PA-022')],
  needs: ['topology', 'rendered'],
  appliesTo: hasCeph,
  check: (input) => {
    const { plan, out } = evidenceProblems(input);
    if (!plan) return out;
    const { file, doc } = plan;
    const dataSites = new Set(doc.crush.datacenters.map((d) => d.site));
    const osdSites = new Set(input.topology!.guests.filter((g) => g.service === 'ceph' && g.role === 'osd').map((g) => g.site));
    const loc = doc.crush.monitorLocations.find((l) => l.monitor === doc.crush.tiebreaker);
    if (!loc || dataSites.has(loc.site) || osdSites.has(loc.site))
      out.push({
        subject: doc.crush.tiebreaker,
        message: t(
          `Le départageur ${doc.crush.tiebreaker} est sur ${loc?.site ?? '?'}, un site de données : la perte de ce site emporte le quorum.`,
          `The tie-breaker ${doc.crush.tiebreaker} is in ${loc?.site ?? '?'}, a data site: losing that site loses the quorum.`,
        ),
        evidence: [at(file, '/crush/tiebreaker', doc.crush.tiebreaker)],
      });
    const monSites = new Set(doc.crush.monitorLocations.map((l) => l.site));
    const missing = [...dataSites].filter((s) => !monSites.has(s));
    if (monSites.size < 3 || missing.length)
      out.push({
        subject: 'monitors',
        message: t(`Moniteurs sur ${[...monSites].join(', ')} seulement.`, `Monitors on ${[...monSites].join(', ')} only.`),
        evidence: [at(file, '/crush/monitorLocations')],
      });
    return out;
  },
  fixtures: {
    pass: { description: 'production: the DC3 witness VM breaks ties', mutate: () => {} },
    fail: {
      description: 'the plan makes a DC1 monitor the tie-breaker',
      mutate: (i) =>
        editPlan(i, (p) => {
          p.crush.tiebreaker = p.crush.monitorLocations.find((l) => l.site === 'DC1')!.monitor;
        }),
    },
  },
};

const noSmallPools: Rule = {
  id: 'CONT-011',
  set: 'continuity',
  severity: 'critical',
  title: t('Aucun pool Ceph sous 3 copies en production', 'No Ceph pool under 3 copies in production'),
  description: t(
    'Production : dans le plan rendu, chaque pool a size ≥ 3 et min_size ≥ 2 ; dans chaque ceph.conf, les valeurs par défaut aussi et mon_allow_pool_size_one vaut false (aucun pool à une copie ne peut être créé). Ne voit pas un pool créé à la main.',
    'Production: in the rendered plan every pool has size ≥ 3 and min_size ≥ 2; in every ceph.conf so do the defaults, and mon_allow_pool_size_one is false (no single-copy pool can be created). Cannot see a pool created by hand.',
  ),
  remediation: t('Garder les tailles rendues (4 / 2) ; ne jamais abaisser size.', 'Keep the rendered sizes (4 / 2); never lower size.'),
  requirements: [...cctp('EXG_PCA_2', 'EXG_DIS_2.1'), ...secnum('17')],
  needs: ['topology', 'rendered'],
  appliesTo: (i) => hasCeph(i) && isProduction(i),
  check: (input) => {
    const { plan, out } = evidenceProblems(input);
    if (plan)
      plan.doc.crush.pools.forEach((p, k) => {
        if (p.size < 3 || p.minSize < 2)
          out.push({
            subject: `pool:${p.name}`,
            message: t(`Pool ${p.name} : ${p.size} copies, min_size ${p.minSize}.`, `Pool ${p.name}: ${p.size} copies, min_size ${p.minSize}.`),
            evidence: [at(plan.file, `/crush/pools/${k}`, { size: p.size, minSize: p.minSize })],
          });
      });
    for (const f of input.rendered!.filter(isCephConf)) {
      const g = parseCephConf(f.content).get('global');
      const size = Number(g?.get('osd_pool_default_size') ?? 3);
      const min = Number(g?.get('osd_pool_default_min_size') ?? 0);
      if (size < 3 || min < 2 || g?.get('mon_allow_pool_size_one') !== 'false')
        out.push({
          subject: f.owner,
          message: t(
            `${f.owner} : pools par défaut ${size} / ${min}, mon_allow_pool_size_one ${g?.get('mon_allow_pool_size_one') ?? 'absent'}.`,
            `${f.owner}: default pools ${size} / ${min}, mon_allow_pool_size_one ${g?.get('mon_allow_pool_size_one') ?? 'absent'}.`,
          ),
          evidence: [at(f, '/global/osd_pool_default_size', size)],
        });
    }
    return out;
  },
  fixtures: {
    pass: { description: 'production: 4 / 2 everywhere', mutate: () => {} },
    fail: {
      description: 'one host’s ceph.conf defaults new pools to 2 copies',
      mutate: (i) => {
        const f = i.rendered!.find(isCephConf)!;
        f.content = f.content.replace('osd_pool_default_size = 4', 'osd_pool_default_size = 2');
      },
    },
  },
};

const PLAIN_FRONTEND = /(^|\s)(port|endpoint)=/;
const PRODUCTION_KMS = new Set(['kmip', 'vault', 'barbican']);

const gatewayEncrypts: Rule = {
  id: 'CRYPTO-006',
  set: 'crypto',
  severity: 'high',
  title: t(
    'Ceph chiffre : passerelle objet en TLS et SSE-KMS, cephx et msgr2 secure',
    'Ceph encrypts: object gateway on TLS with SSE-KMS, cephx and msgr2 secure',
  ),
  description: t(
    'ceph.conf de chaque hôte : cephx exigé (cluster, service, client), tous les modes msgr2 en secure, msgr1 non lié ; chaque passerelle (client.rgw.*) sert en HTTPS seulement (beast ssl_endpoint, aucun port en clair), exige TLS pour le chiffrement côté serveur et chiffre avec SSE-KMS sur un KMS de production (kmip vers le HSM ; testing refusé). Plan : chaque bucket refuse un PUT sans SSE-KMS. Ne voit pas si l’application envoie l’en-tête (le test d’intégration du laboratoire le vérifie).',
    'Every host’s ceph.conf: cephx required (cluster, service, client), every msgr2 mode secure, msgr1 not bound; every gateway (client.rgw.*) serves HTTPS only (beast ssl_endpoint, no plain port), requires TLS for server-side encryption and encrypts with SSE-KMS on a production KMS (kmip to the HSM; testing refused). Plan: every bucket refuses a PUT without SSE-KMS. Cannot see whether the application sends the header (the lab’s integration test does).',
  ),
  remediation: t(
    'Laisser le rendu : frontend beast ssl_endpoint, rgw_crypt_s3_kms_backend kmip sur le HSM du site, politique de bucket.',
    'Keep the rendered configuration: beast ssl_endpoint frontend, rgw_crypt_s3_kms_backend kmip on the site HSM, the bucket policy.',
  ),
  requirements: [...cctp('EXG_SEC_4.3', 'EXG_SEC_4.1', 'EXG_SEC_4.2'), ...secnum('10'), ...anssi('ANSSI-PA-035', 'ANSSI-PG-083')],
  needs: ['topology', 'rendered'],
  appliesTo: hasCeph,
  check: (input) => {
    const { plan, out } = evidenceProblems(input);
    for (const f of input.rendered!.filter(isCephConf)) {
      const conf = parseCephConf(f.content);
      const g = conf.get('global');
      const weak = [
        ...['auth_cluster_required', 'auth_service_required', 'auth_client_required'].filter((k) => g?.get(k) !== 'cephx'),
        ...['ms_cluster_mode', 'ms_service_mode', 'ms_client_mode', 'ms_mon_cluster_mode', 'ms_mon_service_mode', 'ms_mon_client_mode'].filter(
          (k) => g?.get(k) !== 'secure',
        ),
        ...(g?.get('ms_bind_msgr1') === 'false' ? [] : ['ms_bind_msgr1']),
      ];
      for (const k of weak)
        out.push({
          subject: `${f.owner}:${k}`,
          message: t(`${f.owner} : ${k} vaut ${g?.get(k) ?? 'la valeur par défaut'}.`, `${f.owner}: ${k} is ${g?.get(k) ?? 'the default'}.`),
          evidence: [at(f, `/global/${k}`, g?.get(k) ?? null)],
        });
      for (const [name, s] of conf) {
        if (!name.startsWith('client.rgw.')) continue;
        const frontend = s.get('rgw_frontends') ?? '';
        const backend = s.get('rgw_crypt_s3_kms_backend');
        const problems = [
          ...(!frontend.includes('ssl_endpoint=') || PLAIN_FRONTEND.test(frontend)
            ? [['rgw_frontends', frontend, 'HTTPS seulement', 'HTTPS only'] as const]
            : []),
          ...(s.get('rgw_crypt_require_ssl') !== 'true' ? [['rgw_crypt_require_ssl', s.get('rgw_crypt_require_ssl') ?? null, 'true', 'true'] as const] : []),
          ...(!backend || !PRODUCTION_KMS.has(backend)
            ? [['rgw_crypt_s3_kms_backend', backend ?? null, 'un KMS de production', 'a production KMS'] as const]
            : []),
        ];
        for (const [key, value, fr, en] of problems)
          out.push({
            subject: `${f.owner}:${name}:${key}`,
            message: t(`${name} : ${key} vaut ${String(value)}, attendu ${fr}.`, `${name}: ${key} is ${String(value)}, expected ${en}.`),
            evidence: [at(f, `/${name}/${key}`, value)],
          });
      }
    }
    if (plan)
      (plan.doc.rgw?.buckets ?? []).forEach((b, k) => {
        // Both cases must be denied: a header asking for another mode, and no header at all (Ceph
        // 16's StringNotEquals does not match an absent key: a plain PUT passed without the Null one).
        const statements =
          (JSON.parse(b.policy) as { Statement?: Array<{ Effect?: string; Action?: string; Condition?: Record<string, Record<string, string>> }> }).Statement ??
          [];
        const denies = (test: (c: Record<string, Record<string, string>>) => boolean) =>
          statements.some((s) => s.Effect === 'Deny' && s.Action === 's3:PutObject' && s.Condition !== undefined && test(s.Condition));
        const deny =
          denies((c) => c.StringNotEquals?.['s3:x-amz-server-side-encryption'] === 'aws:kms') &&
          denies((c) => String(c.Null?.['s3:x-amz-server-side-encryption']) === 'true');
        if (!deny)
          out.push({
            subject: `bucket:${b.name}`,
            message: t(`Le bucket ${b.name} accepte un PUT sans SSE-KMS.`, `Bucket ${b.name} accepts a PUT without SSE-KMS.`),
            evidence: [at(plan.file, `/rgw/buckets/${k}/policy`)],
          });
      });
    return out;
  },
  fixtures: {
    pass: { description: 'production: HTTPS gateways, SSE-KMS over KMIP on the HSM, cephx and msgr2 secure', mutate: () => {} },
    fail: {
      description: 'one host’s gateway uses the testing KMS backend and msgr1 is bound',
      mutate: (i) => {
        const f = i.rendered!.find((r) => isCephConf(r) && r.content.includes('[client.rgw.'))!;
        f.content = f.content
          .replace('rgw_crypt_s3_kms_backend = kmip', 'rgw_crypt_s3_kms_backend = testing')
          .replace('ms_bind_msgr1 = false', 'ms_bind_msgr1 = true');
      },
    },
  },
};

/** Fixtures: edit the rendered plan's JSON in place. */
function editPlan(i: PolicyInput, edit: (p: CephBootstrapPlan) => void): void {
  const f = i.rendered!.find(isCephPlan)!;
  const p = JSON.parse(f.content) as CephBootstrapPlan;
  edit(p);
  f.content = JSON.stringify(p, null, 2);
}

export const STORAGE_RULES: readonly Rule[] = [stretchedPools, tiebreaker, noSmallPools, gatewayEncrypts];

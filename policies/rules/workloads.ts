/**
 * Application workloads on OpenShift (issue 12): the Kubernetes manifests the workloads plan
 * renders for each cluster, judged before anything reaches a cluster. Every manifest valid
 * against its schema, default deny in every namespace, pods under the restricted-v2 SCC with
 * requests and limits, images from the internal registry pinned by digest, a disruption budget
 * for every replicated workload, HPAs that absorb 10× the average load (recomputed from the
 * catalog, not read from the HPA), TLS-only Routes and no secret in any manifest.
 *
 * The rules need `manifests` (skipped without them) and do not apply to an environment that
 * runs no workloads (no manifests). Evidence: `manifest:<site>/<Kind>/<namespace>/<name>` and a
 * JSON pointer inside the object.
 */
import { HPA_TARGET_CPU_UTILIZATION_PCT, type K8sObject, PEAK_FACTOR, type ResolvedComponent } from '../../modules/model/workloads.ts';
import { findInlineSecrets } from '../../modules/proxmox/cloudinit/secrets.ts';
import { resourceId, validateObjects } from '../../modules/workloads/validate/index.ts';
import { SAMPLE_WORKLOADS, sampleManifests } from '../../modules/workloads/validate/samples.ts';
import { anssi, cctp, type Evidence, type PolicyInput, type Rule, secnum, t, type Violation } from '../types.ts';

type Json = Record<string, unknown>;

/** A manifest and the cluster it is for. */
interface Placed {
  obj: K8sObject;
  site: string;
}

const placed = (i: PolicyInput): Placed[] => (i.manifests ?? []).map((obj, k) => ({ obj, site: i.manifestSites?.[k] ?? 'cluster' }));
const hasManifests = (i: PolicyInput) => (i.manifests?.length ?? 0) > 0;
const nsOf = (o: K8sObject) => o.metadata?.namespace ?? '';
const asObj = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Stable key for waivers: `DC1:Deployment/documents/documents-api`. */
const subjectOf = (p: Placed) => `${p.site}:${p.obj.kind}/${nsOf(p.obj) ? `${nsOf(p.obj)}/` : ''}${p.obj.metadata?.name ?? ''}`;
const who = (p: Placed) => `${p.site} ${resourceId(p.obj)}`;

function pointer(path: Array<string | number>): string {
  return path.length === 0 ? '/' : path.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

function manifestEvidence(p: Placed, path: Array<string | number>, value?: unknown): Evidence {
  return {
    file: `manifest:${p.site}/${p.obj.kind}/${nsOf(p.obj) ? `${nsOf(p.obj)}/` : ''}${p.obj.metadata?.name ?? ''}`,
    pointer: pointer(path),
    ...(value !== undefined ? { value } : {}),
  };
}

function violation(p: Placed, path: Array<string | number>, fr: string, en: string, value?: unknown): Violation {
  return { subject: subjectOf(p), message: t(`${who(p)} : ${fr}`, `${who(p)}: ${en}`), evidence: [manifestEvidence(p, path, value)] };
}

// --- Pods and containers -------------------------------------------------------------------

/** Where the pod template is, for the kinds that run pods. */
const POD_SPEC_PATH: Record<string, string[]> = {
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  Pod: ['spec'],
};

interface PodOf {
  p: Placed;
  spec: Json;
  path: string[];
}

function pods(i: PolicyInput): PodOf[] {
  const out: PodOf[] = [];
  for (const p of placed(i)) {
    const path = POD_SPEC_PATH[p.obj.kind];
    if (!path) continue;
    let node: unknown = p.obj;
    for (const s of path) node = asObj(node)[s];
    out.push({ p, spec: asObj(node), path });
  }
  return out;
}

interface ContainerOf {
  c: Json;
  name: string;
  path: Array<string | number>;
}

function containers(pod: PodOf): ContainerOf[] {
  return (['initContainers', 'containers', 'ephemeralContainers'] as const).flatMap((field) =>
    asList(pod.spec[field]).map((c, k) => ({ c: asObj(c), name: String(asObj(c).name ?? `${field}[${k}]`), path: [...pod.path, field, k] })),
  );
}

// --- Fixtures: the hand-built samples (modules/workloads/validate/samples.ts) on two clusters ---

/** Production input with the sample manifests on DC1 and DC2 and the sample catalog; `edit` breaks one cluster's copy. */
function useSamples(i: PolicyInput, edit?: (dc2: K8sObject[]) => void): void {
  const dc1 = sampleManifests();
  const dc2 = sampleManifests();
  edit?.(dc2);
  i.manifests = [...dc1, ...dc2];
  i.manifestSites = [...dc1.map(() => 'DC1'), ...dc2.map(() => 'DC2')];
  if (i.topology) i.topology.workloads = structuredClone(SAMPLE_WORKLOADS);
}
const sample = (objects: K8sObject[], kind: string) => objects.find((o) => o.kind === kind)! as K8sObject & { spec: Json };
const deploymentPod = (objects: K8sObject[]) => asObj(asObj(asObj(sample(objects, 'Deployment').spec).template).spec);
const firstContainer = (objects: K8sObject[]) => asObj(asList(deploymentPod(objects).containers)[0]);

// --- K8S-001 --------------------------------------------------------------------------------

const schemaValid: Rule = {
  id: 'K8S-001',
  set: 'workloads',
  severity: 'high',
  title: t('Chaque manifeste est valide selon son schéma', 'Every manifest validates against its schema'),
  description: t(
    'Manifestes : chaque objet est validé contre le schéma de son type — types cœur contre les schémas Kubernetes livrés par kubernetes-models, types des opérateurs (Strimzi, Route OpenShift, Prometheus operator) contre l’openAPIV3Schema de leur CRD (modules/workloads/crds). Un champ inconnu est une erreur (plus strict qu’un cluster, qui l’élaguerait en silence pour une CRD) ; un type sans schéma aussi. Non vérifiés : règles CEL (x-kubernetes-validations), admission (SCC, quotas, webhooks).',
    'Manifests: every object is validated against the schema of its kind — core kinds against the Kubernetes schemas kubernetes-models ships, operator kinds (Strimzi, OpenShift Route, Prometheus operator) against their CRD’s openAPIV3Schema (modules/workloads/crds). An unknown field is an error (stricter than a cluster, which would prune it silently for a CRD); so is a kind with no schema. Not checked: CEL rules (x-kubernetes-validations), admission (SCC, quotas, webhooks).',
  ),
  remediation: t(
    'Corriger le plan des charges (modules/workloads/plan) au chemin indiqué ; pour un nouveau type d’opérateur, copier sa CRD dans modules/workloads/crds (SOURCES.md).',
    'Fix the workloads plan (modules/workloads/plan) at the path given; for a new operator kind, copy its CRD into modules/workloads/crds (SOURCES.md).',
  ),
  requirements: [...cctp('CAIH-S3-1', 'MESDMP-7.3.8.3-3'), ...secnum('14')],
  needs: ['manifests'],
  appliesTo: hasManifests,
  check: (input) =>
    placed(input).flatMap((p) =>
      validateObjects([p.obj]).map((e) => ({
        subject: subjectOf(p),
        message: t(`${p.site} ${e.resource} ${e.path} : ${e.message}`, `${p.site} ${e.resource} ${e.path}: ${e.message}`),
        evidence: [{ ...manifestEvidence(p, []), pointer: e.path || '/' }],
      })),
    ),
  fixtures: {
    pass: { description: 'the sample manifests (every kind the plan emits) on two clusters', mutate: (i) => useSamples(i) },
    fail: {
      description: 'spec.replicas: "two" on a Deployment and spec.tls.termination: reencrypted on a Route',
      mutate: (i) =>
        useSamples(i, (o) => {
          sample(o, 'Deployment').spec.replicas = 'two';
          asObj(sample(o, 'Route').spec.tls).termination = 'reencrypted';
        }),
    },
  },
};

// --- K8S-002 --------------------------------------------------------------------------------

const emptySelector = (s: unknown) => {
  const sel = asObj(s);
  return Object.keys(asObj(sel.matchLabels)).length === 0 && asList(sel.matchExpressions).length === 0;
};
/** A rule with neither peers nor ports admits everything. */
const allowsAll = (rule: unknown, peers: 'from' | 'to') => asList(asObj(rule)[peers]).length === 0 && asList(asObj(rule).ports).length === 0;

const defaultDeny: Rule = {
  id: 'K8S-002',
  set: 'workloads',
  severity: 'critical',
  title: t('NetworkPolicy de refus par défaut dans chaque namespace', 'Default-deny NetworkPolicy in every namespace'),
  description: t(
    'Manifestes, par cluster : chaque Namespace créé a une NetworkPolicy au podSelector vide, de types Ingress et Egress, sans aucune règle (tout refusé en entrée et en sortie) ; les flux du modèle sont ouverts par d’autres politiques. Aucune politique ne contient de règle sans pair ni port (qui admettrait tout et annulerait le refus).',
    'Manifests, per cluster: every Namespace created has a NetworkPolicy with an empty podSelector, policy types Ingress and Egress and no rule (everything denied in and out); the model’s flows are opened by other policies. No policy holds a rule with neither peer nor port (which would admit everything and undo the deny).',
  ),
  remediation: t(
    'Émettre une politique default-deny par namespace dans le plan ; n’ouvrir que les flux déclarés du catalogue.',
    'Emit one default-deny policy per namespace in the plan; open only the catalog’s declared flows.',
  ),
  requirements: [...cctp('DUI-E6-2', 'EXG_ART_1.2', 'CAIH-AP-3', 'EXG_SEC_5.5'), ...secnum('13'), ...anssi('ANSSI-PA-022')],
  needs: ['manifests'],
  appliesTo: hasManifests,
  check: (input) => {
    const out: Violation[] = [];
    const all = placed(input);
    const policies = all.filter((p) => p.obj.kind === 'NetworkPolicy');
    for (const ns of all.filter((p) => p.obj.kind === 'Namespace')) {
      const name = ns.obj.metadata.name;
      const deny = policies.some((p) => {
        const spec = asObj(p.obj.spec);
        const types = asList(spec.policyTypes);
        return (
          p.site === ns.site &&
          nsOf(p.obj) === name &&
          emptySelector(spec.podSelector) &&
          types.includes('Ingress') &&
          types.includes('Egress') &&
          asList(spec.ingress).length === 0 &&
          asList(spec.egress).length === 0
        );
      });
      if (!deny)
        out.push(
          violation(
            ns,
            ['metadata', 'name'],
            'aucune NetworkPolicy de refus par défaut (podSelector vide, Ingress et Egress, aucune règle).',
            'no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rule).',
            name,
          ),
        );
    }
    for (const p of policies) {
      const spec = asObj(p.obj.spec);
      for (const [field, peers] of [
        ['ingress', 'from'],
        ['egress', 'to'],
      ] as const)
        asList(spec[field]).forEach((r, k) => {
          if (allowsAll(r, peers))
            out.push(
              violation(
                p,
                ['spec', field, k],
                `règle ${field} ${k} sans pair ni port : elle admet tout.`,
                `${field} rule ${k} has neither peer nor port: it admits everything.`,
              ),
            );
        });
    }
    return out;
  },
  fixtures: {
    pass: { description: 'a default-deny policy in the namespace, on both clusters', mutate: (i) => useSamples(i) },
    fail: {
      description: 'DC2: the default-deny policy dropped, and an allow-all egress rule added',
      mutate: (i) =>
        useSamples(i, (o) => {
          o.splice(
            o.findIndex((x) => x.kind === 'NetworkPolicy' && x.metadata.name === 'default-deny'),
            1,
          );
          asObj(sample(o, 'NetworkPolicy').spec).egress = [{}];
        }),
    },
  },
};

// --- K8S-003 --------------------------------------------------------------------------------

const CAPABILITIES_ALLOWED = new Set(['NET_BIND_SERVICE']);

const restrictedScc: Rule = {
  id: 'K8S-003',
  set: 'workloads',
  severity: 'critical',
  title: t('Pods sous la SCC restricted-v2 d’OpenShift', 'Pods under OpenShift’s restricted-v2 SCC'),
  description: t(
    'Manifestes, chaque gabarit de pod (Deployment, StatefulSet, Job, CronJob…) : ni hostNetwork, ni hostPID, ni hostIPC, aucun volume hostPath ; pour chaque conteneur (init compris), valeur effective (conteneur, sinon pod) : runAsNonRoot true et pas runAsUser 0, seccompProfile RuntimeDefault ; et sur le conteneur : privileged non vrai, allowPrivilegeEscalation false, capabilities.drop contient ALL (seul NET_BIND_SERVICE peut être ajouté), readOnlyRootFilesystem true. L’admission SCC elle-même n’est vérifiable que sur un cluster.',
    'Manifests, every pod template (Deployment, StatefulSet, Job, CronJob…): no hostNetwork, hostPID or hostIPC, no hostPath volume; for every container (init ones too), effective value (container, else pod): runAsNonRoot true and no runAsUser 0, seccompProfile RuntimeDefault; and on the container: privileged not true, allowPrivilegeEscalation false, capabilities.drop includes ALL (only NET_BIND_SERVICE may be added), readOnlyRootFilesystem true. SCC admission itself is only checked on a cluster.',
  ),
  remediation: t(
    'Rendre le securityContext restreint dans le plan (un seul endroit) ; écrire dans des volumes emptyDir plutôt que dans l’image.',
    'Render the restricted securityContext in the plan (one place); write to emptyDir volumes rather than into the image.',
  ),
  requirements: [
    ...cctp('DUI-E6-1', 'CAIH-4.2-3', 'DUI-E2c-1', 'CAIH-S3-6', 'CAIH-S3B-1', 'EXG_SEC_5.5'),
    ...secnum('12'),
    ...anssi('ANSSI conteneurs Docker (2020)'),
  ],
  needs: ['manifests'],
  appliesTo: hasManifests,
  check: (input) => {
    const out: Violation[] = [];
    for (const pod of pods(input)) {
      const { p, spec, path } = pod;
      for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[f] === true) out.push(violation(p, [...path, f], `${f} activé.`, `${f} enabled.`, true));
      asList(spec.volumes).forEach((v, k) => {
        if (asObj(v).hostPath !== undefined)
          out.push(violation(p, [...path, 'volumes', k, 'hostPath'], `volume hostPath ${String(asObj(v).name)}.`, `hostPath volume ${String(asObj(v).name)}.`));
      });
      const podSc = asObj(spec.securityContext);
      for (const { c, name, path: cp } of containers(pod)) {
        const sc = asObj(c.securityContext);
        const scPath = [...cp, 'securityContext'];
        const nonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
        const user = sc.runAsUser ?? podSc.runAsUser;
        const seccomp = asObj(sc.seccompProfile ?? podSc.seccompProfile).type;
        const drop = asList(asObj(sc.capabilities).drop);
        const added = asList(asObj(sc.capabilities).add).filter((x) => !CAPABILITIES_ALLOWED.has(String(x)));
        const checks: Array<[boolean, string, string, string, unknown]> = [
          [
            nonRoot !== true,
            'runAsNonRoot',
            `conteneur ${name} : runAsNonRoot n’est pas true.`,
            `container ${name}: runAsNonRoot is not true.`,
            nonRoot ?? null,
          ],
          [user === 0, 'runAsUser', `conteneur ${name} : runAsUser 0 (root).`, `container ${name}: runAsUser 0 (root).`, user],
          [
            seccomp !== 'RuntimeDefault',
            'seccompProfile',
            `conteneur ${name} : seccompProfile ${String(seccomp ?? 'absent')}, RuntimeDefault attendu.`,
            `container ${name}: seccompProfile ${String(seccomp ?? 'absent')}, RuntimeDefault expected.`,
            seccomp ?? null,
          ],
          [sc.privileged === true, 'privileged', `conteneur ${name} privilégié.`, `container ${name} is privileged.`, true],
          [
            sc.allowPrivilegeEscalation !== false,
            'allowPrivilegeEscalation',
            `conteneur ${name} : allowPrivilegeEscalation n’est pas false.`,
            `container ${name}: allowPrivilegeEscalation is not false.`,
            sc.allowPrivilegeEscalation ?? null,
          ],
          [!drop.includes('ALL'), 'capabilities', `conteneur ${name} : capabilities.drop sans ALL.`, `container ${name}: capabilities.drop lacks ALL.`, drop],
          [
            added.length > 0,
            'capabilities',
            `conteneur ${name} : capacités ajoutées ${added.join(', ')}.`,
            `container ${name}: capabilities added ${added.join(', ')}.`,
            added,
          ],
          [
            sc.readOnlyRootFilesystem !== true,
            'readOnlyRootFilesystem',
            `conteneur ${name} : système de fichiers racine en écriture.`,
            `container ${name}: writable root file system.`,
            sc.readOnlyRootFilesystem ?? null,
          ],
        ];
        for (const [bad, field, fr, en, value] of checks) if (bad) out.push(violation(p, [...scPath, field], fr, en, value));
      }
    }
    return out;
  },
  fixtures: {
    pass: { description: 'restricted security contexts on the Deployment and the CronJob', mutate: (i) => useSamples(i) },
    fail: {
      description: 'a privileged container with privilege escalation, hostNetwork and a hostPath volume',
      mutate: (i) =>
        useSamples(i, (o) => {
          const sc = asObj(firstContainer(o).securityContext);
          sc.privileged = true;
          sc.allowPrivilegeEscalation = true;
          deploymentPod(o).hostNetwork = true;
          asList(deploymentPod(o).volumes).push({ name: 'host', hostPath: { path: '/var/run' } });
        }),
    },
  },
};

// --- K8S-004 --------------------------------------------------------------------------------

const requestsAndLimits: Rule = {
  id: 'K8S-004',
  set: 'workloads',
  severity: 'medium',
  title: t('Requêtes et limites CPU et mémoire sur chaque conteneur', 'CPU and memory requests and limits on every container'),
  description: t(
    'Manifestes : chaque conteneur de chaque gabarit de pod (init compris) déclare resources.requests et resources.limits pour cpu et memory : l’ordonnanceur réserve la capacité, le quota du namespace s’applique et une dérive reste confinée au composant.',
    'Manifests: every container of every pod template (init ones too) declares resources.requests and resources.limits for cpu and memory: the scheduler reserves capacity, the namespace quota applies and a runaway stays confined to its component.',
  ),
  remediation: t(
    'Prendre les ressources du composant dans le catalogue (resources.requests/limits) pour chaque conteneur.',
    'Take the component’s resources from the catalog (resources.requests/limits) for every container.',
  ),
  requirements: [...cctp('EXG_VOL_3', 'EXG_ARA_3'), ...secnum('12')],
  needs: ['manifests'],
  appliesTo: hasManifests,
  check: (input) =>
    pods(input).flatMap((pod) =>
      containers(pod).flatMap(({ c, name, path }) => {
        const res = asObj(c.resources);
        const missing = (['requests', 'limits'] as const).flatMap((k) =>
          (['cpu', 'memory'] as const).filter((r) => asObj(res[k])[r] === undefined).map((r) => `${k}.${r}`),
        );
        return missing.length
          ? [violation(pod.p, [...path, 'resources'], `conteneur ${name} sans ${missing.join(', ')}.`, `container ${name} has no ${missing.join(', ')}.`)]
          : [];
      }),
    ),
  fixtures: {
    pass: { description: 'every container with cpu and memory requests and limits', mutate: (i) => useSamples(i) },
    fail: {
      description: 'an init container without resources, and the main container without a memory limit',
      mutate: (i) =>
        useSamples(i, (o) => {
          const pod = deploymentPod(o);
          pod.initContainers = [{ ...structuredClone(firstContainer(o)), name: 'migrate', resources: undefined }];
          delete asObj(asObj(firstContainer(o).resources).limits).memory;
        }),
    },
  },
};

// --- K8S-005 --------------------------------------------------------------------------------

const DIGEST = /@sha256:[0-9a-f]{64}$/;

const internalImages: Rule = {
  id: 'K8S-005',
  set: 'workloads',
  severity: 'high',
  title: t('Images du registre interne, épinglées par empreinte', 'Images from the internal registry, pinned by digest'),
  description: t(
    'Manifestes + catalogue : l’image de chaque conteneur commence par le registre interne du catalogue (topology.workloads.registry, suivi de « / ») et finit par @sha256: et 64 chiffres hexadécimaux : aucune image d’un registre public, aucune étiquette mobile ; ce qui tourne est l’artefact construit et vérifié par la forge.',
    'Manifests + catalog: every container image starts with the catalog’s internal registry (topology.workloads.registry, then “/”) and ends with @sha256: and 64 hex digits: no public registry, no mutable tag; what runs is the artefact the forge built and checked.',
  ),
  remediation: t(
    'Publier l’image dans le registre interne et référencer son empreinte dans le catalogue (image.digest).',
    'Publish the image to the internal registry and reference its digest in the catalog (image.digest).',
  ),
  requirements: [...cctp('MESDMP-7.3.8.3-3', 'MESDMP-7.3.8.1-1', 'CAIH-S3-1'), ...secnum('14')],
  needs: ['manifests', 'topology'],
  appliesTo: (i) => hasManifests(i) && i.topology?.workloads !== undefined,
  check: (input) => {
    const registry = input.topology!.workloads!.registry;
    return pods(input).flatMap((pod) =>
      containers(pod).flatMap(({ c, name, path }) => {
        const image = String(c.image ?? '');
        const out: Violation[] = [];
        if (!image.startsWith(`${registry}/`))
          out.push(
            violation(
              pod.p,
              [...path, 'image'],
              `conteneur ${name} : image hors du registre interne ${registry}.`,
              `container ${name}: image outside the internal registry ${registry}.`,
              image,
            ),
          );
        if (!DIGEST.test(image))
          out.push(
            violation(
              pod.p,
              [...path, 'image'],
              `conteneur ${name} : image non épinglée par empreinte (@sha256:…).`,
              `container ${name}: image not pinned by digest (@sha256:…).`,
              image,
            ),
          );
        return out;
      }),
    );
  },
  fixtures: {
    pass: { description: 'images from the sample registry, by digest', mutate: (i) => useSamples(i) },
    fail: {
      description: 'a Docker Hub image by tag',
      mutate: (i) =>
        useSamples(i, (o) => {
          firstContainer(o).image = 'docker.io/library/nginx:1.27';
        }),
    },
  },
};

// --- K8S-006 --------------------------------------------------------------------------------

function selects(selector: unknown, labels: Record<string, string>): boolean {
  const sel = asObj(selector);
  const match = Object.entries(asObj(sel.matchLabels)).every(([k, v]) => labels[k] === v);
  const expressions = asList(sel.matchExpressions).every((e) => {
    const { key, operator, values } = asObj(e) as { key: string; operator: string; values?: string[] };
    const has = Object.hasOwn(labels, key);
    if (operator === 'In') return has && (values ?? []).includes(labels[key]!);
    if (operator === 'NotIn') return !has || !(values ?? []).includes(labels[key]!);
    if (operator === 'Exists') return has;
    if (operator === 'DoesNotExist') return !has;
    return false;
  });
  return match && expressions && (Object.keys(asObj(sel.matchLabels)).length > 0 || asList(sel.matchExpressions).length > 0);
}

const hpaFor = (all: Placed[], w: Placed) =>
  all.find((h) => {
    const ref = asObj(asObj(h.obj.spec).scaleTargetRef);
    return (
      h.obj.kind === 'HorizontalPodAutoscaler' &&
      h.site === w.site &&
      nsOf(h.obj) === nsOf(w.obj) &&
      ref.kind === w.obj.kind &&
      ref.name === w.obj.metadata.name
    );
  });

/** A budget that lets every pod go protects nothing. */
function protects(pdb: Json, replicas: number): boolean {
  const spec = asObj(pdb.spec);
  const pct = (v: unknown) => (typeof v === 'string' && v.endsWith('%') ? Number(v.slice(0, -1)) : undefined);
  if (spec.minAvailable !== undefined) {
    const p = pct(spec.minAvailable);
    return p !== undefined ? p > 0 : Number(spec.minAvailable) >= 1;
  }
  if (spec.maxUnavailable !== undefined) {
    const p = pct(spec.maxUnavailable);
    return p !== undefined ? p < 100 : Number(spec.maxUnavailable) < replicas;
  }
  return false;
}

const disruptionBudgets: Rule = {
  id: 'K8S-006',
  set: 'workloads',
  severity: 'medium',
  title: t('PodDisruptionBudget pour chaque charge répliquée', 'PodDisruptionBudget for every replicated workload'),
  description: t(
    'Manifestes : chaque Deployment ou StatefulSet de 2 réplicas ou plus (spec.replicas, ou minReplicas de son HPA) est sélectionné par un PodDisruptionBudget du même namespace (matchLabels/matchExpressions contre les labels du gabarit de pod) qui garde au moins un pod (minAvailable ≥ 1 ou maxUnavailable < réplicas) : un drainage de nœud ou une mise à jour du cluster n’arrête pas le service.',
    'Manifests: every Deployment or StatefulSet with 2 or more replicas (spec.replicas, or its HPA’s minReplicas) is selected by a PodDisruptionBudget in its namespace (matchLabels/matchExpressions against the pod template labels) that keeps at least one pod (minAvailable ≥ 1 or maxUnavailable < replicas): a node drain or a cluster upgrade does not stop the service.',
  ),
  remediation: t('Émettre un PDB par composant répliqué dans le plan.', 'Emit one PDB per replicated component in the plan.'),
  requirements: [...cctp('EXG_DIS_2.1', 'MESDMP-3.2.3.3.4-2', 'EXG_DIS_2.4'), ...secnum('17')],
  needs: ['manifests'],
  appliesTo: hasManifests,
  check: (input) => {
    const all = placed(input);
    const pdbs = all.filter((p) => p.obj.kind === 'PodDisruptionBudget');
    const out: Violation[] = [];
    for (const w of all.filter((p) => p.obj.kind === 'Deployment' || p.obj.kind === 'StatefulSet')) {
      const spec = asObj(w.obj.spec);
      const hpa = hpaFor(all, w);
      const replicas = Math.max(Number(spec.replicas ?? 1), Number(asObj(hpa?.obj.spec).minReplicas ?? 1));
      if (replicas < 2) continue;
      const labels = asObj(asObj(asObj(spec.template).metadata).labels) as Record<string, string>;
      const budgets = pdbs.filter((b) => b.site === w.site && nsOf(b.obj) === nsOf(w.obj) && selects(asObj(b.obj.spec).selector, labels));
      if (!budgets.length)
        out.push(
          violation(
            w,
            ['spec', 'template', 'metadata', 'labels'],
            `${replicas} réplicas sans PodDisruptionBudget.`,
            `${replicas} replicas and no PodDisruptionBudget.`,
            labels,
          ),
        );
      else if (!budgets.some((b) => protects(b.obj as Json, replicas)))
        out.push(
          violation(
            budgets[0]!,
            ['spec'],
            `ce budget laisse partir tous les pods de ${w.obj.metadata.name}.`,
            `this budget lets every pod of ${w.obj.metadata.name} go.`,
            budgets[0]!.obj.spec,
          ),
        );
    }
    return out;
  },
  fixtures: {
    pass: { description: 'a PDB (minAvailable 1) for the 2-replica Deployment', mutate: (i) => useSamples(i) },
    fail: {
      description: 'DC2: the PDB selects another label',
      mutate: (i) =>
        useSamples(i, (o) => {
          asObj(sample(o, 'PodDisruptionBudget').spec).selector = { matchLabels: { 'app.kubernetes.io/name': 'documents-web' } };
        }),
    },
  },
};

// --- K8S-007 --------------------------------------------------------------------------------

/**
 * Replicas that carry 10× the average load with every pod at the HPA's CPU target: the peak rate
 * (the catalog's production average × the environment's load factor, or × its editor slots for
 * a per-editor-slot component; × PEAK_FACTOR) over what one replica serves at
 * HPA_TARGET_CPU_UTILIZATION_PCT of the rate it sustains. Recomputed here from the catalog's
 * figures, independently of the resolver and of the HPA.
 */
export function peakReplicas(c: Pick<ResolvedComponent, 'load' | 'perEditorSlot'>, loadFactor: number, editorSlots = 0): number {
  const averageRps = c.load.averageRps * (c.perEditorSlot ? editorSlots : loadFactor);
  const peakRps = averageRps * PEAK_FACTOR;
  const perReplica = (c.load.rpsPerReplica * HPA_TARGET_CPU_UTILIZATION_PCT) / 100;
  return Math.max(1, Math.ceil(peakRps / perReplica - 1e-9));
}

/**
 * Why K8S-007 does not apply the 10× rule to a component, or undefined when it does: a quorum
 * (OpenBao's Raft voters, a StatefulSet) is sized for fault tolerance, runs exactly its quorum and
 * must not be scaled by load — more voters add no capacity (every write goes through the leader
 * to a majority) and a voter set changes one member at a time, by an operator. Its peak is
 * checked by the resolver instead (E_WORKLOADS_QUORUM: the members carry 10× the average load).
 */
export function peakExemption(c: Pick<ResolvedComponent, 'name' | 'quorum'>): string | undefined {
  return c.quorum !== undefined
    ? `${c.name} is a quorum of ${c.quorum} (Raft voters): sized for fault tolerance, never scaled by load; its peak is checked against its members by the resolver (E_WORKLOADS_QUORUM)`
    : undefined;
}

const peakCapacity: Rule = {
  id: 'K8S-007',
  set: 'workloads',
  severity: 'high',
  title: t('HPA dimensionnés pour 10 fois la charge moyenne', 'HPAs sized for 10 times the average load'),
  description: t(
    `Manifestes + catalogue : pour chaque Deployment ou StatefulSet d’un composant du catalogue servant une charge (load.averageRps > 0), le maximum de réplicas requis est recalculé depuis le catalogue — ⌈moyenne de production × facteur de charge de l’environnement (ou × ses créneaux éditeurs pour un composant par créneau) × ${PEAK_FACTOR} ÷ (débit d’un réplica × ${HPA_TARGET_CPU_UTILIZATION_PCT} %)⌉ — et non lu dans l’HPA ; le maxReplicas de son HPA (ou, sans HPA, ses réplicas) l’atteint. Exception explicite : un composant à quorum (votants Raft d’OpenBao, un StatefulSet) n’est pas soumis à la règle des 10× — dimensionné pour la tolérance aux pannes, jamais mis à l’échelle selon la charge ; le résolveur vérifie que ses membres portent le pic (E_WORKLOADS_QUORUM) — et un HPA qui le cible est signalé. Un HPA dont la cible n’est pas un composant du catalogue est signalé (pic incalculable).`,
    `Manifests + catalog: for every Deployment or StatefulSet of a catalog component that serves load (load.averageRps > 0), the required maximum replicas is recomputed from the catalog — ⌈production average × the environment’s load factor (or × its editor slots for a per-editor-slot component) × ${PEAK_FACTOR} ÷ (rate of one replica × ${HPA_TARGET_CPU_UTILIZATION_PCT} %)⌉ — not read from the HPA; its HPA’s maxReplicas (or, without an HPA, its replicas) reaches it. Explicit exception: a quorum component (OpenBao’s Raft voters, a StatefulSet) is not held to the 10× rule — it is sized for fault tolerance and never scaled by load; the resolver checks that its members carry the peak (E_WORKLOADS_QUORUM) — and an HPA targeting it is reported. An HPA whose target is not a catalog component is reported (its peak cannot be computed).`,
  ),
  remediation: t(
    'Dériver maxReplicas des chiffres de charge du catalogue dans le plan ; vérifier la capacité des workers (hdsctl workloads render).',
    'Derive maxReplicas from the catalog’s load figures in the plan; check the workers’ capacity (hdsctl workloads render).',
  ),
  requirements: [...cctp('EXG_ARA_3', 'EXG_VOL_5', 'EXG_VOL_3'), ...secnum('17')],
  needs: ['manifests', 'topology'],
  appliesTo: (i) => hasManifests(i) && i.topology?.workloads !== undefined,
  check: (input) => {
    const wl = input.topology!.workloads!;
    const byName = new Map(wl.components.map((c) => [c.name, c]));
    const all = placed(input);
    const out: Violation[] = [];
    for (const w of all.filter((p) => p.obj.kind === 'Deployment' || p.obj.kind === 'StatefulSet')) {
      const c = byName.get(w.obj.metadata.name);
      if (!c || c.load.averageRps <= 0) continue;
      const hpa = hpaFor(all, w);
      const exempt = peakExemption(c);
      if (exempt) {
        if (hpa)
          out.push(
            violation(
              hpa,
              ['spec', 'scaleTargetRef'],
              `un HPA met à l’échelle le quorum ${c.name} : un ensemble de votants Raft ne suit pas la charge.`,
              `an HPA scales the quorum ${c.name}: a Raft voter set must not follow the load.`,
              asObj(hpa.obj.spec).scaleTargetRef,
            ),
          );
        continue;
      }
      const need = peakReplicas(c, wl.loadFactor, input.topology!.environment.editorSlots);
      if (hpa) {
        const max = Number(asObj(hpa.obj.spec).maxReplicas);
        if (!(max >= need))
          out.push(
            violation(
              hpa,
              ['spec', 'maxReplicas'],
              `maxReplicas ${max} < ${need} requis pour ${PEAK_FACTOR}× la charge moyenne de ${c.name}.`,
              `maxReplicas ${max} < ${need} needed for ${PEAK_FACTOR}× the average load of ${c.name}.`,
              max,
            ),
          );
      } else {
        const replicas = Number(asObj(w.obj.spec).replicas ?? 1);
        if (replicas < need)
          out.push(
            violation(
              w,
              ['spec', 'replicas'],
              `sans HPA, ${replicas} réplicas < ${need} requis pour ${PEAK_FACTOR}× la charge moyenne.`,
              `no HPA, and ${replicas} replicas < ${need} needed for ${PEAK_FACTOR}× the average load.`,
              replicas,
            ),
          );
      }
    }
    for (const h of all.filter((p) => p.obj.kind === 'HorizontalPodAutoscaler')) {
      const target = String(asObj(asObj(h.obj.spec).scaleTargetRef).name ?? '');
      if (!byName.has(target))
        out.push(
          violation(
            h,
            ['spec', 'scaleTargetRef', 'name'],
            `la cible ${target} n’est pas un composant du catalogue : pic incalculable.`,
            `target ${target} is not a catalog component: its peak cannot be computed.`,
            target,
          ),
        );
    }
    return out;
  },
  fixtures: {
    pass: { description: 'maxReplicas 58 = ⌈200 rps × 10 / (50 rps × 70 %)⌉', mutate: (i) => useSamples(i) },
    fail: {
      description: 'DC2: maxReplicas 20 (twice the average only)',
      mutate: (i) =>
        useSamples(i, (o) => {
          sample(o, 'HorizontalPodAutoscaler').spec.maxReplicas = 20;
        }),
    },
  },
};

// --- K8S-008 --------------------------------------------------------------------------------

const TERMINATIONS = new Set(['edge', 'reencrypt', 'passthrough']);

const tlsRoutes: Rule = {
  id: 'K8S-008',
  set: 'workloads',
  severity: 'high',
  title: t('Routes en TLS uniquement', 'Routes TLS only'),
  description: t(
    'Manifestes : chaque Route OpenShift a spec.tls avec une terminaison edge, reencrypt ou passthrough, et insecureEdgeTerminationPolicy n’est pas Allow (HTTP en clair refusé ou redirigé). Le niveau TLS du routeur (profil, suites) relève de la configuration du cluster, hors manifestes.',
    'Manifests: every OpenShift Route has spec.tls with an edge, reencrypt or passthrough termination, and insecureEdgeTerminationPolicy is not Allow (plain HTTP refused or redirected). The router’s TLS level (profile, suites) is cluster configuration, outside the manifests.',
  ),
  remediation: t(
    'Rendre chaque Route en reencrypt (le WAF termine le TLS public, le routeur re-chiffre vers le pod).',
    'Render every Route as reencrypt (the WAF terminates public TLS, the router re-encrypts to the pod).',
  ),
  requirements: [...cctp('EXG_SEC_5.2', 'EXG_SEC_4.2', 'EXG_SEC_3.5'), ...secnum('13'), ...anssi('ANSSI-PA-035')],
  needs: ['manifests'],
  appliesTo: hasManifests,
  check: (input) =>
    placed(input)
      .filter((p) => p.obj.kind === 'Route')
      .flatMap((p) => {
        const tls = asObj(p.obj.spec).tls;
        if (tls === undefined || tls === null) return [violation(p, ['spec', 'tls'], 'aucun TLS (HTTP en clair).', 'no TLS (plain HTTP).')];
        const out: Violation[] = [];
        const termination = asObj(tls).termination;
        if (!TERMINATIONS.has(String(termination)))
          out.push(
            violation(p, ['spec', 'tls', 'termination'], `terminaison ${String(termination)}.`, `termination ${String(termination)}.`, termination ?? null),
          );
        if (asObj(tls).insecureEdgeTerminationPolicy === 'Allow')
          out.push(violation(p, ['spec', 'tls', 'insecureEdgeTerminationPolicy'], 'HTTP en clair autorisé (Allow).', 'plain HTTP allowed (Allow).', 'Allow'));
        return out;
      }),
  fixtures: {
    pass: { description: 'a reencrypt Route redirecting HTTP', mutate: (i) => useSamples(i) },
    fail: {
      description: 'DC2: the Route without TLS',
      mutate: (i) =>
        useSamples(i, (o) => {
          delete sample(o, 'Route').spec.tls;
        }),
    },
  },
};

// --- K8S-009 --------------------------------------------------------------------------------

/** An environment variable named like a credential (the last word of its name). */
const SECRET_NAME = /(^|_)(PASSWORD|PASSWD|PASS|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS?)$/i;
/** An annotation key named like a credential (its last word). */
const SECRET_KEY = /(^|[-_./])(password|passwd|secret|token|api-?key|private-?key|credentials?)$/i;
/** References, not values: an OpenBao reference, the cloud-init placeholder, a path under the catalog's OpenBao prefix, a file. */
function isReference(value: string, pathPrefix: string | undefined): boolean {
  return /^(openbao|bao|vault):|^@@secret:[^@]+@@$|^\//.test(value) || (pathPrefix !== undefined && value.startsWith(`${pathPrefix}/`));
}

const noSecrets: Rule = {
  id: 'K8S-009',
  set: 'workloads',
  severity: 'critical',
  title: t('Aucun secret dans les manifestes', 'No secret in the manifests'),
  description: t(
    'Manifestes : aucun objet Secret ne porte data ou stringData (les secrets restent dans OpenBao, les manifestes n’en portent que la référence) ; aucune variable d’environnement ni annotation (objet et gabarit de pod) au nom de secret (…PASSWORD, …TOKEN, …SECRET, …API_KEY) n’a de valeur littérale autre qu’une référence (chemin sous le préfixe OpenBao du catalogue, openbao:…, @@secret:…@@, chemin de fichier) ; aucune valeur de variable, d’annotation ou de ConfigMap ne ressemble à un secret (clé privée, jeton OpenBao, mot de passe dans une URL ou en clair : les motifs de modules/proxmox/cloudinit/secrets.ts). Le constat cite le champ, jamais la valeur.',
    'Manifests: no Secret object carries data or stringData (secrets stay in OpenBao, manifests carry their reference only); no environment variable or annotation (object and pod template) named like a secret (…PASSWORD, …TOKEN, …SECRET, …API_KEY) has a literal value other than a reference (a path under the catalog’s OpenBao prefix, openbao:…, @@secret:…@@, a file path); no variable, annotation or ConfigMap value looks like a secret (private key, OpenBao token, password in a URL or in clear: the patterns of modules/proxmox/cloudinit/secrets.ts). A finding names the field, never the value.',
  ),
  remediation: t(
    'Retirer la valeur ; référencer le chemin OpenBao (le composant l’obtient à l’exécution) et changer le secret exposé.',
    'Remove the value; reference the OpenBao path (the component fetches it at run time) and rotate the exposed secret.',
  ),
  requirements: [...cctp('DUI-E6-1', 'EXG_SEC_4.1', 'CAIH-AP-3', 'EXG_SEC_5.5'), ...secnum('10')],
  needs: ['manifests'],
  appliesTo: hasManifests,
  check: (input) => {
    const out: Violation[] = [];
    const looks = (text: string) => [...new Set(findInlineSecrets(text).map((f) => f.kind))];
    const prefix = input.topology?.workloads?.secrets?.pathPrefix;
    const literal = (v: string) => v !== '' && v !== 'true' && v !== 'false' && !isReference(v, prefix);
    for (const p of placed(input)) {
      if (p.obj.kind === 'Secret')
        for (const f of ['data', 'stringData'])
          if (Object.keys(asObj(p.obj[f])).length)
            out.push(
              violation(
                p,
                [f],
                `Secret avec ${f} (${Object.keys(asObj(p.obj[f])).length} clés).`,
                `Secret with ${f} (${Object.keys(asObj(p.obj[f])).length} keys).`,
              ),
            );
      const annotated: Array<[Array<string | number>, Record<string, unknown>]> = [[['metadata', 'annotations'], asObj(p.obj.metadata?.annotations)]];
      const template = POD_SPEC_PATH[p.obj.kind]?.slice(0, -1);
      if (template) {
        let node: unknown = p.obj;
        for (const s of template) node = asObj(node)[s];
        annotated.push([[...template, 'metadata', 'annotations'], asObj(asObj(asObj(node).metadata).annotations)]);
      }
      for (const [at, annotations] of annotated)
        for (const [k, v] of Object.entries(annotations)) {
          const kinds = [...(SECRET_KEY.test(k) && literal(String(v)) ? ['credential-named annotation with a literal value'] : []), ...looks(String(v))];
          if (kinds.length) out.push(violation(p, [...at, k], `annotation ${k} : ${kinds.join(', ')}.`, `annotation ${k}: ${kinds.join(', ')}.`));
        }
      if (p.obj.kind === 'ConfigMap')
        for (const [k, v] of Object.entries(asObj(p.obj.data))) {
          const kinds = looks(String(v));
          if (kinds.length) out.push(violation(p, ['data', k], `clé ${k} : ${kinds.join(', ')}.`, `key ${k}: ${kinds.join(', ')}.`));
        }
    }
    for (const pod of pods(input))
      for (const { c, name, path } of containers(pod))
        asList(c.env).forEach((e, k) => {
          const { name: var_, value } = asObj(e) as { name?: string; value?: unknown };
          if (typeof value !== 'string') return;
          const kinds = [
            ...(SECRET_NAME.test(String(var_)) && literal(value) ? ['credential-named variable with a literal value'] : []),
            ...looks(`${var_}=${value}`),
          ];
          if (kinds.length)
            out.push(
              violation(
                pod.p,
                [...path, 'env', k, 'value'],
                `conteneur ${name}, variable ${var_} : ${kinds.join(', ')}.`,
                `container ${name}, variable ${var_}: ${kinds.join(', ')}.`,
              ),
            );
        });
    return out;
  },
  fixtures: {
    pass: { description: 'OpenBao references only (injector annotations, a *_FILE variable, a ConfigMap key ending in .ref)', mutate: (i) => useSamples(i) },
    fail: {
      description: 'a Secret with data, a DB_PASSWORD literal and a password in a ConfigMap URL',
      mutate: (i) =>
        useSamples(i, (o) => {
          o.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'documents' }, data: { password: 'aHVudGVyMg==' } });
          asList(firstContainer(o).env).push({ name: 'DB_PASSWORD', value: 'hunter2-hunter2' });
          asObj(sample(o, 'ConfigMap').data)['application.properties'] = 'db.url=postgresql://app:hunter2@pg-documents:5432/documents\n';
        }),
    },
  },
};

export const WORKLOAD_RULES: readonly Rule[] = [
  schemaValid,
  defaultDeny,
  restrictedScc,
  requestsAndLimits,
  internalImages,
  disruptionBudgets,
  peakCapacity,
  tlsRoutes,
  noSecrets,
];

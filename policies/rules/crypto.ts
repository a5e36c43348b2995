/**
 * Cryptography: AES-256 at rest, TLS 1.2+ with ANSSI-acceptable suites on every rendered
 * listener, HSM key domains per micro-service, and the post-quantum cartography (CAIH-4.3-1).
 */
import { parse as parseYaml } from 'yaml';
import { dataDiskById } from '../../modules/proxmox/plan/compute.ts';
import { tfId } from '../../modules/proxmox/plan/ids.ts';
import { KAFKA_PATHS } from '../../modules/services/fromTopology/paths.ts';
import { parseProperties } from '../../modules/services/kafka/render.ts';
import { isPatroniConfig, isRepositoryConfig } from '../evidence/files.ts';
import { envDoc, guestEvidence } from '../evidence/model.ts';
import {
  type CloudInitFile,
  cloudInitFiles,
  ofType,
  rewriteCloudInit,
  snippetText,
  stackFile,
  type TfResource,
  tfEvidence,
  value,
} from '../evidence/terraform.ts';
import { anssi, type CryptoUse, cctp, type PolicyInput, type RenderedConfig, type Rule, secnum, t, type Violation } from '../types.ts';

const holdsHealthData = (i: PolicyInput) => ['production', 'pseudonymised'].includes(i.topology?.environment.dataSource ?? '');

const backupsAes256: Rule = {
  id: 'CRYPTO-001',
  set: 'crypto',
  severity: 'critical',
  title: t('Sauvegardes chiffrées en AES-256', 'Backups encrypted with AES-256'),
  description: t(
    'Modèle : services.backup.encryption = aes-256. Terraform : chaque stockage PBS a une clé de chiffrement client (AES-256-GCM) fournie par une variable sensible, jamais en clair. pgBackRest rendu : repo1-cipher-type=aes-256-cbc.',
    'Model: services.backup.encryption = aes-256. Terraform: every PBS storage has a client-side encryption key (AES-256-GCM) given by a sensitive variable, never inline. Rendered pgBackRest: repo1-cipher-type=aes-256-cbc.',
  ),
  remediation: t('Chiffrer côté client avec une clé séquestrée hors ligne.', 'Encrypt client-side with a key escrowed offline.'),
  requirements: [...cctp('EXG_SEC_4.2', 'EXG_PRA_2', 'EXG_ARA_6', 'CAIH-S3-5'), ...secnum('10'), ...anssi('ANSSI-PG-083')],
  needs: ['topology'],
  appliesTo: (i) => Boolean(i.topology?.backup),
  check: (input) => {
    const out: Violation[] = [];
    const b = input.topology!.backup!;
    if (b.encryption !== 'aes-256')
      out.push({
        subject: 'model',
        message: t(`Chiffrement ${b.encryption}.`, `Encryption ${b.encryption}.`),
        evidence: [envDoc(input, ['services', 'backup', 'encryption'], b.encryption)],
      });
    if (input.terraform) {
      const tf = input.terraform;
      for (const s of ofType(tf, 'proxmox_storage_pbs')) {
        const key = String(s.body.encryption_key ?? '');
        const m = /^\$\{var\.([a-z0-9_]+)\}$/.exec(key);
        const sensitive = m ? tf.stacks.get(s.stack)?.variable?.[m[1]!]?.sensitive === true : false;
        if (!sensitive)
          out.push({
            subject: s.stack,
            message: t(`${s.stack} : stockage PBS sans clé de chiffrement sensible.`, `${s.stack}: PBS storage without a sensitive encryption key.`),
            evidence: [tfEvidence(s, ['encryption_key'], key ? '(set, not a sensitive variable)' : null)],
          });
      }
    }
    for (const f of (input.rendered ?? []).filter(isRepositoryConfig)) {
      if (!/^repo1-cipher-type=aes-256-cbc$/m.test(f.content))
        out.push({
          subject: 'pgbackrest',
          message: t('Dépôt pgBackRest non chiffré en AES-256.', 'pgBackRest repository not AES-256 encrypted.'),
          evidence: [{ file: `rendered:${f.path}`, pointer: '/global/repo1-cipher-type' }],
        });
    }
    return out;
  },
  fixtures: {
    pass: { description: 'PBS key variable + aes-256-cbc', mutate: () => {} },
    fail: {
      description: 'pgBackRest repository rendered without cipher',
      mutate: (i) => {
        const f = i.rendered!.find(isRepositoryConfig)!;
        f.content = f.content.replace('repo1-cipher-type=aes-256-cbc', 'repo1-cipher-type=none');
      },
    },
  },
};

/** Guests whose disks hold health data: every VM with a backup-zone NIC (databases, brokers, backup servers). */
const dataHolders = (i: PolicyInput) => i.topology!.guests.filter((g) => g.hosting === 'vm' && g.nics.some((n) => n.zone === 'backup'));

/** cryptsetup options that take a value (long and short forms). */
const CRYPTSETUP_VALUE_OPTIONS = new Set(
  [
    'type',
    'cipher',
    'c',
    'key-size',
    's',
    'hash',
    'h',
    'pbkdf',
    'key-file',
    'd',
    'keyfile-size',
    'l',
    'keyfile-offset',
    'label',
    'subsystem',
    'sector-size',
    'iter-time',
    'i',
    'pbkdf-memory',
    'pbkdf-parallel',
    'pbkdf-force-iterations',
    'header',
    'uuid',
    'integrity',
    'key-slot',
    'S',
    'keyslot-cipher',
    'keyslot-key-size',
    'luks2-metadata-size',
    'luks2-keyslots-size',
    'offset',
    'align-payload',
    'master-key-file',
    'volume-key-file',
  ].map((o) => (o.length === 1 ? `-${o}` : `--${o}`)),
);
const CRYPTSETUP_ALIASES: Record<string, string> = {
  '-c': '--cipher',
  '-s': '--key-size',
  '-h': '--hash',
  '-d': '--key-file',
  '-S': '--key-slot',
  '-i': '--iter-time',
};

export interface CryptsetupCall {
  action: string;
  options: Map<string, string | true>;
  args: string[];
  line: string;
}

/** Every `cryptsetup <action>` call of a shell text (continuation lines joined, comments dropped, quotes removed). */
export function cryptsetupCalls(text: string): CryptsetupCall[] {
  const out: CryptsetupCall[] = [];
  for (const line of text.replace(/\\\n\s*/g, ' ').split('\n')) {
    const code = line.replace(/(^|\s)#.*$/, '');
    for (const seg of code.split(/;|&&|\|\||\||\bthen\b|\bdo\b|\bif\b|!/)) {
      const tokens = seg
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map((x) => x.replace(/^["']|["']$/g, ''));
      const at = tokens.findIndex((x) => x === 'cryptsetup' || x.endsWith('/cryptsetup'));
      if (at < 0) continue;
      const options = new Map<string, string | true>();
      const positional: string[] = [];
      for (let k = at + 1; k < tokens.length; k++) {
        const tok = tokens[k]!;
        if (/^(>|<|2>)/.test(tok)) break;
        if (tok.startsWith('-')) {
          const eq = tok.indexOf('=');
          const name = CRYPTSETUP_ALIASES[eq > 0 ? tok.slice(0, eq) : tok] ?? (eq > 0 ? tok.slice(0, eq) : tok);
          if (eq > 0) options.set(name, tok.slice(eq + 1));
          else if (CRYPTSETUP_VALUE_OPTIONS.has(tok) && k + 1 < tokens.length) options.set(name, tokens[++k]!);
          else options.set(name, true);
        } else positional.push(tok);
      }
      if (positional.length) out.push({ action: positional[0]!, options, args: positional.slice(1), line: line.trim() });
    }
  }
  return out;
}

/** AES-256 at rest: LUKS2, AES in XTS mode with a 512-bit key (two AES-256 keys; 256 bits would be AES-128). */
const LUKS_REQUIRED: Array<[string, string]> = [
  ['--type', 'luks2'],
  ['--cipher', 'aes-xts-plain64'],
  ['--key-size', '512'],
];

/** The algorithm a luksFormat call sets up, for the cartography (CRYPTO-005). */
function luksAlgorithm(c: CryptsetupCall): string {
  const cipher = String(c.options.get('--cipher') ?? 'aes-xts-plain64');
  const bits = Number(c.options.get('--key-size') ?? 512);
  return /^aes-xts-/.test(cipher) ? `AES-${bits / 2}-XTS` : cipher.toUpperCase();
}

export const dataVolumesEncrypted: Rule = {
  id: 'CRYPTO-002',
  set: 'crypto',
  severity: 'high',
  title: t('Volumes de données de santé chiffrés (AES-256, noyau Linux)', 'Health-data volumes encrypted (AES-256, Linux kernel)'),
  description: t(
    'Terraform : pour chaque VM porteuse de données (carte en zone backup : PostgreSQL, Kafka, serveurs de sauvegarde) d’un environnement à données de santé, la VM déclare un disque de données distinct du disque système, et le cloud-init déposé écrit /etc/crypttab (LUKS2) pour ce disque par son chemin /dev/disk/by-id, avec un fichier de clé sous /run qui n’est qu’un renvoi @@secret:<env>/<vm>/luks#key@@ vers le coffre (aucune clé en clair), et formate le disque par cryptsetup luksFormat --type luks2 --cipher aes-xts-plain64 --key-size 512 (AES-256-XTS) avec ce fichier de clé, seulement s’il n’est pas déjà LUKS (cryptsetup isLuks).',
    'Terraform: for every data-holding VM (backup-zone NIC: PostgreSQL, Kafka, backup servers) of an environment with health data, the VM declares a data disk distinct from its system disk, and the uploaded cloud-init writes /etc/crypttab (LUKS2) for that disk by its /dev/disk/by-id path, with a key file under /run that is only a @@secret:<env>/<vm>/luks#key@@ reference to the secret store (no inline key), and formats the disk with cryptsetup luksFormat --type luks2 --cipher aes-xts-plain64 --key-size 512 (AES-256-XTS) with that key file, only when it is not LUKS yet (cryptsetup isLuks).',
  ),
  remediation: t(
    'Rendre le volume chiffré par modules/proxmox/cloudinit/dataVolume.ts (jeu par défaut de configFor) et déclarer le disque de données dans le plan de calcul (modules/proxmox/plan/compute.ts).',
    'Render the encrypted volume with modules/proxmox/cloudinit/dataVolume.ts (configFor default set) and declare the data disk in the compute plan (modules/proxmox/plan/compute.ts).',
  ),
  requirements: [...cctp('EXG_SEC_4.2', 'EXG_SEC_4.3', 'EXG_CONV_2', 'EXG_ARA_6', 'CAIH-S3-5'), ...secnum('10'), ...anssi('ANSSI-PG-083')],
  needs: ['topology', 'terraform'],
  appliesTo: holdsHealthData,
  check: (input) => {
    const tf = input.terraform!;
    const env = input.topology!.environment.name;
    const snippets = new Map(ofType(tf, 'proxmox_virtual_environment_file').map((f) => [f.name.replace(/_user_data$/, ''), f]));
    const vms = new Map(ofType(tf, 'proxmox_virtual_environment_vm').map((v) => [String(v.body.name), v]));
    const out: Violation[] = [];
    for (const g of dataHolders(input)) {
      const f = snippets.get(tfId(g.name));
      const vm = vms.get(g.name);
      const fail = (fr: string, en: string, value: unknown, on: TfResource | undefined = f, path: Array<string | number> = ['source_raw', 0, 'data']) =>
        out.push({
          subject: g.name,
          message: t(`${g.name} : ${fr}`, `${g.name}: ${en}`),
          evidence: [on ? tfEvidence(on, path, value) : guestEvidence(input.topology!, g)],
        });
      if (!f) {
        fail('aucun cloud-init, donc aucun chiffrement de volume.', 'no cloud-init, hence no volume encryption.', null);
        continue;
      }
      const files = new Map(cloudInitFiles(snippetText(tf, f)).map((x) => [x.path, x]));
      const crypttab = files.get('/etc/crypttab');
      const entries = (crypttab?.content ?? '')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.split(/\s+/));
      const luks = entries.filter((e) => (e[3] ?? '').split(',').includes('luks'));
      if (!luks.length) {
        fail(
          'aucun volume LUKS dans /etc/crypttab (chiffrement de volume non rendu).',
          'no LUKS volume in /etc/crypttab (volume encryption not rendered).',
          crypttab ? crypttab.content : '(cloud-init without /etc/crypttab)',
        );
        continue;
      }
      for (const [name, device = '', keyFile = ''] of luks) {
        // The device: the VM's data disk by its stable id, not the system (boot) disk.
        const disks = (vm?.body.disk as Array<{ interface?: string; serial?: string; import_from?: string }> | undefined) ?? [];
        const boot = (vm?.body.boot_order as string[] | undefined)?.[0];
        const disk = disks.find((d) => d.serial && dataDiskById(d.serial) === device);
        if (!disk || disk.interface === boot || disk.import_from)
          fail(
            `${device || '(aucun périphérique)'} n’est pas un disque de données distinct déclaré sur la VM (${name}).`,
            `${device || '(no device)'} is not a separate data disk declared on the VM (${name}).`,
            disks.map((d) => `${d.interface}${d.serial ? ` serial=${d.serial}` : ''}`),
            vm,
            ['disk'],
          );
        // The key: a file on tmpfs whose only content is the per-VM reference to the secret store.
        const ref = `@@secret:${env}/${g.name}/luks#key@@`;
        const key = files.get(keyFile);
        if (!keyFile.startsWith('/run/') || !key || key.content.trim() !== ref || key.permissions !== '0600')
          fail(
            `la clé de ${name} (${keyFile || 'aucune'}) n’est pas un renvoi ${ref} vers le coffre, sur tmpfs, en 0600.`,
            `the key of ${name} (${keyFile || 'none'}) is not a ${ref} reference to the secret store, on tmpfs, 0600.`,
            key ? (/^@@secret:[^@\s]+@@\s*$/.test(key.content) ? key.content.trim() : '(inline value)') : keyFile || null,
          );
        // The format: LUKS2 AES-256-XTS with that key file, guarded by isLuks (never reformat a volume).
        const formats = [...files.values()].flatMap((x) =>
          cryptsetupCalls(x.content)
            .filter((c) => c.action === 'luksFormat' && c.args[0] === device)
            .map((c) => ({ file: x, call: c })),
        );
        if (!formats.length)
          fail(
            `aucune commande cryptsetup luksFormat pour ${device}.`,
            `no cryptsetup luksFormat command for ${device}.`,
            '(no luksFormat of the crypttab device)',
          );
        for (const { file, call } of formats) {
          const weak = LUKS_REQUIRED.filter(([o, v]) => call.options.get(o) !== v).map(([o, v]) => `${o} ${v} (${String(call.options.get(o) ?? 'absent')})`);
          const keyArg = call.options.get('--key-file') ?? call.args[1];
          if (keyArg !== keyFile) weak.push(`--key-file ${keyFile} (${String(keyArg ?? 'absent')})`);
          if (!cryptsetupCalls(file.content).some((c) => c.action === 'isLuks' && c.args[0] === device)) weak.push(`cryptsetup isLuks ${device} (absent)`);
          if (weak.length)
            fail(
              `${file.path} : luksFormat sans ${weak.join(', ')} (attendu : LUKS2 AES-256-XTS, clé du coffre, idempotent).`,
              `${file.path}: luksFormat without ${weak.join(', ')} (expected: LUKS2 AES-256-XTS, key from the store, idempotent).`,
              call.line,
            );
        }
      }
    }
    return out;
  },
  fixtures: {
    pass: { description: 'production as synthesized: every data holder formats its data disk LUKS2 AES-256-XTS with a key from the store', mutate: () => {} },
    fail: {
      description: 'one PostgreSQL node formats with --key-size 256 (AES-128-XTS), one Kafka broker without /etc/crypttab',
      mutate: (i) => {
        const tp = i.topology!;
        const pg = tp.guests.find((g) => g.service === 'postgresql' && g.role === 'primary')!;
        const kafka = tp.guests.find((g) => g.service === 'kafka')!;
        editUserData(i, pg.name, (files) => files.map((f) => ({ ...f, content: f.content.replace(/--key-size 512/g, '--key-size 256') })));
        editUserData(i, kafka.name, (files) => files.filter((f) => f.path !== '/etc/crypttab'));
      },
    },
  },
};

/** Rewrites the write_files of a guest's snippet in a policy input (rule fixtures, tests). */
export function editUserData(i: PolicyInput, guest: string, edit: (files: CloudInitFile[]) => CloudInitFile[]): void {
  const f = ofType(i.terraform!, 'proxmox_virtual_environment_file').find((x) => x.name === `${tfId(guest)}_user_data`);
  if (!f) throw new Error(`no cloud-init snippet for ${guest}`);
  const raw = (f.body.source_raw as Array<{ data: string }>)[0]!;
  raw.data = rewriteCloudInit(raw.data, edit);
}

/** ANSSI-acceptable TLS 1.2 suites (ECDHE + AEAD) and TLS 1.3 suites (guide ANSSI-PA-035). */
const ANSSI_SUITE =
  /^(TLS_)?(ECDHE[-_](ECDSA|RSA)[-_](WITH[-_])?(AES[-_]?(128|256)[-_]GCM|CHACHA20[-_]POLY1305)([-_]SHA(256|384))?|TLS_AES_(128|256)_GCM_SHA(256|384)|TLS_CHACHA20_POLY1305_SHA256)$/;
const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

interface Listener {
  owner: string;
  file: RenderedConfig;
  pointer: string;
  minVersion?: string;
  suites: string[];
}

/** A Kafka node's server.properties (broker or KRaft controller), by the path the guests receive. */
export const isKafkaConfig = (r: RenderedConfig): boolean => r.service === 'kafka' && r.file === KAFKA_PATHS.config;

/** Kafka's listener name → security protocol map when `listener.security.protocol.map` is not set. */
const KAFKA_DEFAULT_PROTOCOL_MAP = 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL';
/** Kafka's `ssl.enabled.protocols` when not set (Kafka ≥ 2.6 on Java 11 or later). */
const KAFKA_DEFAULT_PROTOCOLS = 'TLSv1.2,TLSv1.3';
/** Security protocols that encrypt: anything else (PLAINTEXT, SASL_PLAINTEXT) sends data in clear. */
const KAFKA_TLS_PROTOCOLS = new Set(['SSL', 'SASL_SSL']);

interface KafkaProblem {
  pointer: string;
  value: unknown;
  fr: string;
  en: string;
}

const list = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/**
 * TLS of one Kafka node, from its rendered server.properties as Kafka reads it (absent keys take
 * Kafka's defaults): the listeners whose floor and suites the generic checks judge (the node's
 * own, then each `listener.name.<l>.` override), and what only Kafka can get wrong — a listener
 * (`listeners`, `advertised.listeners`, `inter.broker.listener.name`, `controller.listener.names`)
 * or a protocol map entry that is PLAINTEXT or SASL_PLAINTEXT, an unmapped listener name,
 * `ssl.client.auth` other than `required` (globally or per listener), `ssl.cipher.suites` not
 * pinned (the JVM's defaults include CBC suites).
 */
export function kafkaTls(f: RenderedConfig): { listeners: Listener[]; problems: KafkaProblem[] } {
  const problems: KafkaProblem[] = [];
  let props: Map<string, string>;
  try {
    props = parseProperties(f.content);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return {
      listeners: [],
      problems: [{ pointer: '/', value: why, fr: `server.properties illisible (${why}).`, en: `server.properties unreadable (${why}).` }],
    };
  }
  const protocolMap = new Map(
    list(props.get('listener.security.protocol.map') ?? KAFKA_DEFAULT_PROTOCOL_MAP).map((e) => {
      const i = e.indexOf(':');
      return [e.slice(0, i).toUpperCase(), e.slice(i + 1).toUpperCase()] as const;
    }),
  );
  for (const [name, protocol] of protocolMap)
    if (!KAFKA_TLS_PROTOCOLS.has(protocol))
      problems.push({
        pointer: '/listener.security.protocol.map',
        value: `${name}:${protocol}`,
        fr: `l’écoute ${name} est en ${protocol} (données en clair).`,
        en: `listener ${name} is ${protocol} (data in clear).`,
      });
  // Listener names in use, and where each is named (a broker without `listeners` listens on PLAINTEXT://:9092).
  const used: Array<[name: string, key: string]> = [];
  const endpoints = (key: string) => {
    for (const e of list(props.get(key))) used.push([(e.split('://')[0] ?? '').toUpperCase(), key]);
  };
  endpoints('listeners');
  if (!props.has('listeners') && list(props.get('process.roles')).includes('broker'))
    problems.push({
      pointer: '/listeners',
      value: null,
      fr: 'listeners absent : un broker écoute alors en PLAINTEXT://:9092 (données en clair).',
      en: 'listeners absent: a broker then listens on PLAINTEXT://:9092 (data in clear).',
    });
  endpoints('advertised.listeners');
  for (const key of ['inter.broker.listener.name', 'controller.listener.names']) for (const n of list(props.get(key))) used.push([n.toUpperCase(), key]);
  if (props.has('security.inter.broker.protocol')) used.push([props.get('security.inter.broker.protocol')!.toUpperCase(), 'security.inter.broker.protocol']);
  for (const [name, key] of used) {
    const protocol = key === 'security.inter.broker.protocol' ? name : protocolMap.get(name);
    if (protocol === undefined)
      problems.push({
        pointer: `/${key}`,
        value: name,
        fr: `l’écoute ${name} (${key}) n’a pas de protocole dans listener.security.protocol.map.`,
        en: `listener ${name} (${key}) has no protocol in listener.security.protocol.map.`,
      });
    else if (!KAFKA_TLS_PROTOCOLS.has(protocol) && !problems.some((p) => p.value === `${name}:${protocol}`))
      problems.push({
        pointer: `/${key}`,
        value: `${name}:${protocol}`,
        fr: `l’écoute ${name} (${key}) est en ${protocol}.`,
        en: `listener ${name} (${key}) is ${protocol}.`,
      });
  }
  const floor = (protocols: string) => list(protocols).sort((x, y) => TLS_VERSIONS.indexOf(x) - TLS_VERSIONS.indexOf(y))[0];
  const protocols = props.get('ssl.enabled.protocols') ?? KAFKA_DEFAULT_PROTOCOLS;
  const suites = props.get('ssl.cipher.suites');
  const auth = props.get('ssl.client.auth');
  if (auth !== 'required')
    problems.push({
      pointer: '/ssl.client.auth',
      value: auth ?? null,
      fr: `ssl.client.auth = ${auth ?? 'absent (none)'} : l’authentification mutuelle TLS n’est pas exigée.`,
      en: `ssl.client.auth = ${auth ?? 'absent (none)'}: mutual TLS is not required.`,
    });
  if (suites === undefined)
    problems.push({
      pointer: '/ssl.cipher.suites',
      value: null,
      fr: 'ssl.cipher.suites absent : les suites par défaut de la JVM (CBC comprises) sont offertes.',
      en: 'ssl.cipher.suites absent: the JVM default suites (CBC included) are offered.',
    });
  const min = floor(protocols);
  const listeners: Listener[] = [{ owner: f.owner, file: f, pointer: '/ssl.enabled.protocols', ...(min ? { minVersion: min } : {}), suites: list(suites) }];
  // A listener's own settings (listener.name.<lowercase name>.<key>) override the node's.
  for (const name of new Set(used.map(([n]) => n))) {
    const prefix = `listener.name.${name.toLowerCase()}.`;
    const own = props.get(`${prefix}ssl.client.auth`);
    if (own !== undefined && own !== 'required')
      problems.push({
        pointer: `/${prefix}ssl.client.auth`,
        value: own,
        fr: `${prefix}ssl.client.auth = ${own} : l’authentification mutuelle TLS n’est pas exigée sur ${name}.`,
        en: `${prefix}ssl.client.auth = ${own}: mutual TLS is not required on ${name}.`,
      });
    const p = props.get(`${prefix}ssl.enabled.protocols`);
    const c = props.get(`${prefix}ssl.cipher.suites`);
    if (p === undefined && c === undefined) continue;
    const m = floor(p ?? protocols);
    listeners.push({
      owner: f.owner,
      file: f,
      pointer: `/${prefix}${p !== undefined ? 'ssl.enabled.protocols' : 'ssl.cipher.suites'}`,
      ...(m ? { minVersion: m } : {}),
      suites: list(c ?? suites),
    });
  }
  return { listeners, problems };
}

/** TLS listeners and clients the rendered configurations declare. */
function tlsEndpoints(rendered: RenderedConfig[]): Listener[] {
  const out: Listener[] = [];
  for (const f of rendered.filter((r) => !r.error)) {
    if (f.service === 'waf' && f.path.endsWith('nginx.conf')) {
      const protocols = /ssl_protocols ([^;]+);/.exec(f.content)?.[1]?.split(/\s+/) ?? [];
      const suites = [...(/ssl_ciphers ([^;]+);/.exec(f.content)?.[1]?.split(':') ?? []), ...(/Ciphersuites ([^;]+);/.exec(f.content)?.[1]?.split(':') ?? [])];
      const min = protocols.sort((a, b) => TLS_VERSIONS.indexOf(a) - TLS_VERSIONS.indexOf(b))[0];
      out.push({ owner: f.owner, file: f, pointer: '/http/server/ssl_protocols', ...(min ? { minVersion: min } : {}), suites });
    } else if (f.service === 'etcd') {
      const doc = parseYaml(f.content.replace(/^#.*$/gm, '')) as Record<string, unknown>;
      // etcd 3.5 defaults to TLS 1.2 as its floor; an explicit tls-min-version overrides it.
      out.push({
        owner: f.owner,
        file: f,
        pointer: '/cipher-suites',
        minVersion: String(doc['tls-min-version'] ?? 'TLS1.2').replace('TLS1.', 'TLSv1.'),
        suites: (doc['cipher-suites'] as string[]) ?? [],
      });
    } else if (isPatroniConfig(f)) {
      const doc = parseYaml(f.content) as { postgresql?: { parameters?: Record<string, unknown> } };
      const p = doc.postgresql?.parameters ?? {};
      out.push({
        owner: f.owner,
        file: f,
        pointer: '/postgresql/parameters/ssl_min_protocol_version',
        ...(p.ssl === 'on' ? { minVersion: String(p.ssl_min_protocol_version ?? 'TLSv1') } : {}),
        suites: [],
      });
    } else if (f.service === 'haproxy') {
      const min = /ssl-min-ver (TLSv1\.\d)/.exec(f.content)?.[1];
      out.push({ owner: f.owner, file: f, pointer: '/global/ssl-default-server-options', ...(min ? { minVersion: min } : {}), suites: [] });
    } else if (isKafkaConfig(f)) {
      out.push(...kafkaTls(f).listeners);
    } else if (f.service === 'monitoring' && f.path.endsWith('blackbox.yml')) {
      const min = /min_version: (TLS\d+)/.exec(f.content)?.[1];
      out.push({
        owner: f.owner,
        file: f,
        pointer: '/modules/*/http/tls_config/min_version',
        ...(min ? { minVersion: min.replace(/^TLS1(\d)$/, 'TLSv1.$1') } : {}),
        suites: [],
      });
    }
  }
  return out;
}

const tlsEverywhere: Rule = {
  id: 'CRYPTO-003',
  set: 'crypto',
  severity: 'high',
  title: t('TLS 1.2+ avec suites acceptables ANSSI sur chaque écoute', 'TLS 1.2+ with ANSSI-acceptable suites on every listener'),
  description: t(
    'Configurations rendues : WAF (nginx ssl_protocols, ssl_ciphers, Ciphersuites), etcd (cipher-suites, plancher TLS 1.2 par défaut en 3.5), PostgreSQL (ssl on, ssl_min_protocol_version), HAProxy (ssl-min-ver), sondes blackbox (min_version), Kafka (server.properties de chaque broker et contrôleur KRaft : ssl.enabled.protocols et ssl.cipher.suites, globaux et par écoute ; aucune écoute ni entrée de listener.security.protocol.map en PLAINTEXT ou SASL_PLAINTEXT, y compris l’écoute PLAINTEXT://:9092 implicite d’un broker sans listeners ; ssl.client.auth=required ; ssl.cipher.suites fixé ; une configuration Kafka que le moteur de rendu refuse est un échec). Suites admises : ECDHE + AES-GCM ou ChaCha20-Poly1305, suites TLS 1.3 AES-GCM/ChaCha20. Le TLS de pgBackRest n’est pas rendu ici.',
    'Rendered configurations: WAF (nginx ssl_protocols, ssl_ciphers, Ciphersuites), etcd (cipher-suites, TLS 1.2 default floor in 3.5), PostgreSQL (ssl on, ssl_min_protocol_version), HAProxy (ssl-min-ver), blackbox probes (min_version), Kafka (server.properties of every broker and KRaft controller: ssl.enabled.protocols and ssl.cipher.suites, node-wide and per listener; no listener and no listener.security.protocol.map entry that is PLAINTEXT or SASL_PLAINTEXT, the implicit PLAINTEXT://:9092 of a broker without listeners included; ssl.client.auth=required; ssl.cipher.suites pinned; a Kafka configuration the renderer refuses fails). Accepted suites: ECDHE + AES-GCM or ChaCha20-Poly1305, TLS 1.3 AES-GCM/ChaCha20 suites. pgBackRest TLS is not rendered here.',
  ),
  remediation: t('Fixer TLS 1.2 au minimum et n’autoriser que des suites ECDHE-AEAD.', 'Set TLS 1.2 as the floor and allow only ECDHE-AEAD suites.'),
  requirements: [...cctp('EXG_SEC_4.2', 'EXG_SEC_3.5', 'DUI-E6-4', 'EXG_ARA_6'), ...secnum('10'), ...anssi('ANSSI-PA-035', 'ANSSI-PG-083')],
  needs: ['rendered'],
  check: (input) => {
    const out: Violation[] = [];
    for (const l of tlsEndpoints(input.rendered!)) {
      const ev = { file: `rendered:${l.file.path}`, pointer: l.pointer, value: l.minVersion ?? null };
      if (!l.minVersion || TLS_VERSIONS.indexOf(l.minVersion) < TLS_VERSIONS.indexOf('TLSv1.2'))
        out.push({
          subject: `${l.file.service}:${l.owner}`,
          message: t(
            `${l.owner} (${l.file.service}) : TLS minimum ${l.minVersion ?? 'absent'}.`,
            `${l.owner} (${l.file.service}): TLS floor ${l.minVersion ?? 'missing'}.`,
          ),
          evidence: [ev],
        });
      const weak = l.suites.filter((s) => !ANSSI_SUITE.test(s));
      if (weak.length)
        out.push({
          subject: `${l.file.service}:${l.owner}`,
          message: t(`${l.owner} : suites non admises ${weak.join(', ')}.`, `${l.owner}: suites not accepted ${weak.join(', ')}.`),
          evidence: [{ ...ev, value: weak }],
        });
    }
    for (const f of input.rendered!.filter((r) => r.service === 'kafka')) {
      const subject = `kafka:${f.owner}`;
      if (f.error)
        out.push({
          subject,
          message: t(`${f.owner} (kafka) : configuration non rendue (${f.error}).`, `${f.owner} (kafka): configuration not rendered (${f.error}).`),
          evidence: [{ file: `rendered:${f.path}`, pointer: '/', value: f.error }],
        });
      else if (isKafkaConfig(f))
        for (const p of kafkaTls(f).problems)
          out.push({
            subject,
            message: t(`${f.owner} (kafka) : ${p.fr}`, `${f.owner} (kafka): ${p.en}`),
            evidence: [{ file: `rendered:${f.path}`, pointer: p.pointer, value: p.value }],
          });
    }
    return out;
  },
  fixtures: {
    pass: { description: 'rendered TLS configs (WAF, etcd, PostgreSQL, HAProxy, blackbox, every Kafka broker and controller)', mutate: () => {} },
    fail: {
      description: 'WAF with TLS 1.0 and a CBC-SHA1 suite; a Kafka broker with a PLAINTEXT listener, TLS 1.1 and ssl.client.auth=requested',
      mutate: (i) => {
        const f = i.rendered!.find((r) => r.path.endsWith('nginx.conf'))!;
        f.content = f.content
          .replace('ssl_protocols TLSv1.2 TLSv1.3;', 'ssl_protocols TLSv1 TLSv1.2;')
          .replace(/ssl_ciphers ([^;]+);/, 'ssl_ciphers $1:AES128-SHA;');
        const k = i.rendered!.find((r) => isKafkaConfig(r) && /^process\.roles=broker$/m.test(r.content))!;
        k.content = k.content
          .replace(/^listeners=(.*)$/m, 'listeners=$1,PLAINTEXT://0.0.0.0:9092')
          .replace(/^listener\.security\.protocol\.map=(.*)$/m, 'listener.security.protocol.map=$1,PLAINTEXT:PLAINTEXT')
          .replace(/^ssl\.enabled\.protocols=.*$/m, 'ssl.enabled.protocols=TLSv1.3,TLSv1.2,TLSv1.1')
          .replace(/^ssl\.client\.auth=.*$/m, 'ssl.client.auth=requested');
      },
    },
  },
};

const hsmKeyDomains: Rule = {
  id: 'CRYPTO-004',
  set: 'crypto',
  severity: 'high',
  title: t('Clés au HSM, séparées par domaine de micro-service', 'Keys held in the HSM, split per micro-service domain'),
  description: t(
    'Modèle : dans un environnement à données de santé, un cluster HSM sur chaque site principal, des domaines de clés uniques couvrant chaque domaine métier PostgreSQL, un flux app-to-hsm local au site. Le contenu réel des HSM (hiérarchies, mécanismes) est vérifié par le lab (SoftHSM2), pas ici.',
    'Model: in an environment with health data, an HSM cluster on every primary site, unique key domains covering every PostgreSQL business domain, a site-local app-to-hsm flow. The HSMs’ real content (hierarchies, mechanisms) is checked by the lab (SoftHSM2), not here.',
  ),
  remediation: t(
    'Déclarer services.hsm sur DC1 et DC2 avec un domaine de clés par micro-service.',
    'Declare services.hsm on DC1 and DC2 with one key domain per micro-service.',
  ),
  requirements: [
    ...cctp('EXG_SEC_4.2', 'EXG_SEC_4.3', 'EXG_CONV_2', 'EXG_SEC_4.1', 'EXG_SEC_4.4', 'MESDMP-3.2.3.3.3-4'),
    ...secnum('10'),
    ...anssi('ANSSI-PG-083'),
  ],
  needs: ['topology'],
  appliesTo: holdsHealthData,
  check: (input) => {
    const tp = input.topology!;
    const out: Violation[] = [];
    const hsm = input.environment?.doc.services.hsm;
    for (const s of tp.sites.filter((x) => x.role === 'primary')) {
      if (!tp.guests.some((g) => g.service === 'hsm' && g.site === s.id))
        out.push({
          subject: `hsm-${s.id}`,
          message: t(`Aucun HSM sur ${s.id}.`, `No HSM on ${s.id}.`),
          evidence: [envDoc(input, ['services', 'hsm', 'sites'], hsm?.sites ?? null)],
        });
    }
    const domains = hsm?.keyDomains ?? [];
    if (new Set(domains).size !== domains.length)
      out.push({
        subject: 'duplicates',
        message: t('Domaines de clés en double.', 'Duplicate key domains.'),
        evidence: [envDoc(input, ['services', 'hsm', 'keyDomains'], domains)],
      });
    for (const d of new Set(tp.guests.filter((g) => g.domain).map((g) => g.domain!))) {
      if (!domains.includes(d))
        out.push({
          subject: d,
          message: t(`Le domaine ${d} n’a pas de domaine de clés HSM.`, `Domain ${d} has no HSM key domain.`),
          evidence: [envDoc(input, ['services', 'hsm', 'keyDomains'], domains)],
        });
    }
    if (tp.guests.some((g) => g.service === 'hsm') && !tp.flows.some((f) => f.id === 'app-to-hsm'))
      out.push({
        subject: 'flow',
        message: t('Aucun flux app-to-hsm.', 'No app-to-hsm flow.'),
        evidence: [{ file: `topology:${tp.environment.name}`, pointer: '/flows' }],
      });
    return out;
  },
  fixtures: {
    pass: { description: 'seven key domains', mutate: () => {} },
    fail: {
      description: 'documents key domain removed',
      mutate: (i) => {
        const h = i.environment!.doc.services.hsm!;
        h.keyDomains = h.keyDomains.filter((d) => d !== 'documents');
      },
    },
  },
};

type Exposure = 'shor' | 'grover' | 'none';
interface AlgorithmClass {
  exposure: Exposure;
  /** Meets ANSSI PG-083 minimums (RSA/DH >= 2048 now, 3072 beyond 2030; EC >= 256; AES >= 128). */
  anssiOk: boolean;
  note: string;
}

/** Classification of the algorithms the inventory can meet. */
export function classify(algorithm: string): AlgorithmClass | undefined {
  const a = algorithm.toUpperCase();
  if (/^(X25519|PRIME256V1|SECP256R1|P-256|SECP384R1|P-384|SECP521R1|ECDHE|ECDSA(-P(256|384))?|ED25519)$/.test(a))
    return { exposure: 'shor', anssiOk: true, note: 'elliptic curve: broken by a quantum computer (Shor)' };
  if (/^(SECP192R1|SECP224R1|PRIME192V1)$/.test(a)) return { exposure: 'shor', anssiOk: false, note: 'curve below 256 bits' };
  const rsa = /^RSA-?(\d+)?$/.exec(a);
  if (rsa) return { exposure: 'shor', anssiOk: !rsa[1] || Number(rsa[1]) >= 2048, note: 'RSA: broken by a quantum computer (Shor)' };
  if (/^(AES-256(-GCM|-CBC|-KEY-WRAP-PAD|-XTS)?|AES_256_GCM|CHACHA20-POLY1305)$/.test(a))
    return { exposure: 'grover', anssiOk: true, note: '256-bit symmetric: keeps 128-bit security against Grover' };
  if (/^(AES-128(-GCM)?|AES_128_GCM)$/.test(a))
    return { exposure: 'grover', anssiOk: true, note: '128-bit symmetric: 64-bit security against Grover; prefer AES-256 for long-lived data' };
  if (/^(ML-KEM-\d+|X25519MLKEM768|ML-DSA-\d+|SLH-DSA.*)$/.test(a))
    return { exposure: 'none', anssiOk: true, note: 'post-quantum (hybrid use recommended by ANSSI)' };
  return undefined;
}

function suiteAlgorithms(suite: string): string[] {
  const s = suite.toUpperCase().replace(/_/g, '-');
  const out: string[] = [];
  if (s.includes('ECDHE')) out.push('ECDHE');
  if (s.includes('ECDSA')) out.push('ECDSA');
  else if (/ECDHE-RSA/.test(s)) out.push('RSA');
  else if (/^(AES|DES|RC4|CAMELLIA)/.test(s)) out.push('RSA-KEX');
  if (s.includes('AES256-GCM') || s.includes('AES-256-GCM')) out.push('AES-256-GCM');
  else if (s.includes('AES128-GCM') || s.includes('AES-128-GCM')) out.push('AES-128-GCM');
  else if (s.includes('CHACHA20')) out.push('CHACHA20-POLY1305');
  else out.push(s);
  return out;
}

/** The cartography of algorithms in use, from the rendered configurations and the Terraform JSON. */
export function cryptoInventory(input: PolicyInput): CryptoUse[] {
  const uses: CryptoUse[] = [];
  const add = (component: string, usage: string, algorithm: string, file: string, pointer: string) => {
    if (!uses.some((u) => u.component === component && u.usage === usage && u.algorithm === algorithm))
      uses.push({ component, usage, algorithm, evidence: { file, pointer } });
  };
  for (const l of tlsEndpoints(input.rendered ?? [])) {
    const component = `${l.file.service}`;
    for (const s of l.suites)
      for (const alg of suiteAlgorithms(s))
        add(
          component,
          alg === 'ECDHE' || alg === 'RSA-KEX' ? 'TLS key exchange' : /^(RSA|ECDSA)$/.test(alg) ? 'TLS authentication (certificate)' : 'TLS record encryption',
          alg,
          `rendered:${l.file.path}`,
          l.pointer,
        );
    if (l.file.service === 'waf')
      for (const c of /ssl_ecdh_curve ([^;]+);/.exec(l.file.content)?.[1]?.split(':') ?? [])
        add(component, 'TLS key exchange group', c, `rendered:${l.file.path}`, '/http/server/ssl_ecdh_curve');
  }
  for (const f of (input.rendered ?? []).filter((r) => r.service === 'backup' && /repo1-cipher-type=/.test(r.content)))
    add(
      'pgbackrest',
      'backup repository encryption',
      (/repo1-cipher-type=(\S+)/.exec(f.content)?.[1] ?? '').toUpperCase(),
      `rendered:${f.path}`,
      '/global/repo1-cipher-type',
    );
  if (input.terraform && ofType(input.terraform, 'proxmox_storage_pbs').length) {
    const s = ofType(input.terraform, 'proxmox_storage_pbs')[0]!;
    add(
      'proxmox-backup',
      'backup chunk encryption (client side)',
      'AES-256-GCM',
      `stacks/${s.stack}/cdk.tf.json`,
      `/resource/${s.type}/${s.name}/encryption_key`,
    );
    add(
      'proxmox-backup',
      'PBS server certificate (pinned by SHA-256 fingerprint)',
      'RSA',
      `stacks/${s.stack}/cdk.tf.json`,
      `/resource/${s.type}/${s.name}/fingerprint`,
    );
  }
  if (input.terraform) {
    for (const f of ofType(input.terraform, 'proxmox_virtual_environment_file'))
      for (const file of cloudInitFiles(snippetText(input.terraform, f)))
        for (const c of cryptsetupCalls(file.content).filter((x) => x.action === 'luksFormat'))
          add(
            'cloud-init',
            'data volume encryption at rest (LUKS2, dm-crypt)',
            luksAlgorithm(c),
            stackFile(f.stack),
            `/resource/${f.type}/${f.name}/source_raw/0/data`,
          );
  }
  if (input.topology?.guests.some((g) => g.service === 'hsm')) {
    add('hsm', 'key-wrapping keys per micro-service domain (CKM_AES_KEY_WRAP_PAD)', 'AES-256-KEY-WRAP-PAD', `topology:${input.target}`, '/services');
  }
  if (input.terraform) {
    for (const vm of ofType(input.terraform, 'proxmox_virtual_environment_vm').slice(0, 1))
      add('proxmox', 'Proxmox API TLS (self-managed PKI)', 'RSA', `stacks/${vm.stack}/cdk.tf.json`, '/provider/proxmox/endpoint');
    const value0 = ofType(input.terraform, 'proxmox_virtual_environment_file')[0];
    if (value0 && /ssh_authorized_keys/.test(String(value(input.terraform, value0, (value0.body.source_raw as Array<{ data: string }>)[0]?.data))))
      add('cloud-init', 'break-glass SSH keys', 'ED25519', `stacks/${value0.stack}/cdk.tf.json`, `/resource/${value0.type}/${value0.name}/source_raw/0/data`);
  }
  return uses;
}

const pqcCartography: Rule = {
  id: 'CRYPTO-005',
  set: 'crypto',
  severity: 'medium',
  title: t('Cartographie post-quantique des algorithmes', 'Post-quantum cartography of algorithms'),
  description: t(
    'Construit l’inventaire des algorithmes utilisés (configurations rendues, Terraform, HSM) avec leur exposition quantique (Shor : RSA, ECDHE, ECDSA ; Grover : symétrique) ; échoue sur un algorithme inconnu de la classification ou sous les minimums ANSSI (PG-083).',
    'Builds the inventory of algorithms in use (rendered configurations, Terraform, HSM) with their quantum exposure (Shor: RSA, ECDHE, ECDSA; Grover: symmetric); fails on an algorithm the classification does not know or below the ANSSI minimums (PG-083).',
  ),
  remediation: t(
    'Classer l’algorithme, le remplacer s’il est faible, et planifier l’hybridation (X25519MLKEM768) des échanges de clés exposés.',
    'Classify the algorithm, replace it if weak, and plan hybrid key exchange (X25519MLKEM768) for exposed exchanges.',
  ),
  requirements: [...cctp('CAIH-4.3-1', 'EXG_SEC_4.2', 'EXG_SEC_4.4', 'DUI-E6-4'), ...secnum('10'), ...anssi('ANSSI-PG-083', 'ANSSI avis PQC 2023')],
  needs: ['rendered'],
  check: (input) =>
    cryptoInventory(input).flatMap((u) => {
      const c = classify(u.algorithm);
      if (c?.anssiOk) return [];
      return [
        {
          subject: `${u.component}:${u.algorithm}`,
          message: c
            ? t(`${u.component} (${u.usage}) : ${u.algorithm} sous les minimums ANSSI.`, `${u.component} (${u.usage}): ${u.algorithm} below ANSSI minimums.`)
            : t(`${u.component} (${u.usage}) : ${u.algorithm} non classé.`, `${u.component} (${u.usage}): ${u.algorithm} not classified.`),
          evidence: [{ ...u.evidence, value: u.algorithm }],
        },
      ];
    }),
  fixtures: {
    pass: { description: 'ECDHE/AES-GCM, X25519, P-256, P-384', mutate: () => {} },
    fail: {
      description: 'a WAF offering secp192r1',
      mutate: (i) => {
        const f = i.rendered!.find((r) => r.path.endsWith('nginx.conf'))!;
        f.content = f.content.replace(/ssl_ecdh_curve ([^;]+);/, 'ssl_ecdh_curve $1:secp192r1;');
      },
    },
  },
};

export const CRYPTO_RULES: Rule[] = [backupsAes256, dataVolumesEncrypted, tlsEverywhere, hsmKeyDomains, pqcCartography];

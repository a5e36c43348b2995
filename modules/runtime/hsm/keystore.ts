/**
 * Domain key store on a PKCS#11 token (SoftHSM2 in the lab, the HSM cluster in production).
 *
 * One AES-256 key-wrapping key per micro-service domain (EXG_SEC_4.2, EXG_SEC_4.3), generated
 * inside the token: CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, not CKA_EXTRACTABLE, usable only to
 * wrap/unwrap (no encrypt/decrypt/sign), label = domain. Data keys (envelope encryption) are
 * wrapped with CKM_AES_KEY_WRAP_PAD (RFC 5649), supported by SoftHSM 2.6.
 *
 * SoftHSM reads SOFTHSM2_CONF when the library is initialised: a process can use one token
 * directory at a time (close every store before opening one with another conf).
 */
import * as graphene from 'graphene-pk11';

export const WRAP_MECHANISM = 'AES_KEY_WRAP_PAD' as const;
export const WRAP_MECHANISM_NAME = 'CKM_AES_KEY_WRAP_PAD';

export interface HsmKeyStoreOptions {
  /** PKCS#11 module, default the Debian SoftHSM2 one. */
  modulePath?: string;
  /** softhsm2.conf of the token (exported as SOFTHSM2_CONF before the library initialises). */
  softhsmConfPath?: string;
  tokenLabel: string;
  /** User PIN, read by the caller from a 0600 file. */
  userPin: string;
}

/** Metadata only: never key material. */
export interface KeyMetadata {
  label: string;
  /** CKA_ID, hex. */
  id: string;
  type: 'AES';
  bits: number;
  extractable: boolean;
  sensitive: boolean;
  neverExtractable: boolean;
  alwaysSensitive: boolean;
  /** Generated inside the token (CKA_LOCAL). */
  local: boolean;
  canWrap: boolean;
  canUnwrap: boolean;
  canEncrypt: boolean;
  /** Mechanism the store uses with this key. */
  mechanism: string;
}

const DOMAIN_RE = /^[a-z][a-z0-9-]{0,31}$/;
const DEFAULT_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

/** One loaded+initialised module per process, reference counted. */
export interface LoadedModule {
  mod: graphene.Module;
  path: string;
  conf: string | undefined;
  refs: number;
}
let loaded: LoadedModule | undefined;

/**
 * Loads and initialises the PKCS#11 module once per process (reference counted): every user of
 * the token in this process (key store, export signer) shares it; pair each call with releaseModule.
 */
export function acquireModule(modulePath: string, conf: string | undefined): LoadedModule {
  if (loaded) {
    if (loaded.path !== modulePath || loaded.conf !== conf) {
      throw new Error(`PKCS#11 module already initialised with ${loaded.path} (conf ${loaded.conf ?? 'default'}); close the open key stores first`);
    }
    loaded.refs++;
    return loaded;
  }
  if (conf !== undefined) process.env.SOFTHSM2_CONF = conf;
  const mod = graphene.Module.load(modulePath, 'hsm');
  mod.initialize();
  loaded = { mod, path: modulePath, conf, refs: 1 };
  return loaded;
}

export function releaseModule(m: LoadedModule): void {
  m.refs--;
  if (m.refs === 0 && loaded === m) {
    loaded = undefined;
    m.mod.finalize();
  }
}

function assertDomain(domain: string): void {
  if (!DOMAIN_RE.test(domain)) throw new Error(`invalid key domain ${JSON.stringify(domain)} (expected ${DOMAIN_RE})`);
}

/**
 * PKCS#11 errors after which the session or the cached key handles are gone (HSM restarted,
 * token unreachable then back, session closed by the device): the store drops its handles,
 * opens a new session and retries the operation once. Other errors (wrong data, a missing
 * key, a locked PIN) are thrown as they are.
 */
const RECOVERABLE =
  /CKR_(?:OBJECT_HANDLE_INVALID|KEY_HANDLE_INVALID|WRAPPING_KEY_HANDLE_INVALID|UNWRAPPING_KEY_HANDLE_INVALID|SESSION_HANDLE_INVALID|SESSION_CLOSED|DEVICE_ERROR|DEVICE_REMOVED|TOKEN_NOT_PRESENT|TOKEN_NOT_RECOGNIZED|USER_NOT_LOGGED_IN|GENERAL_ERROR)\b/;

export function isRecoverableHsmError(e: unknown): boolean {
  return RECOVERABLE.test(e instanceof Error ? e.message : String(e));
}

export class HsmKeyStore {
  private closed = false;
  private readonly keys = new Map<string, graphene.SecretKey>();
  /** Sessions re-opened after a recoverable PKCS#11 error (for health reporting and tests). */
  reopened = 0;

  private constructor(
    private readonly module: LoadedModule,
    private session: graphene.Session,
    readonly tokenLabel: string,
    private readonly opts: HsmKeyStoreOptions,
  ) {}

  /** Opens a logged-in read/write session on the token labelled `tokenLabel`. */
  static open(opts: HsmKeyStoreOptions): HsmKeyStore {
    const m = acquireModule(opts.modulePath ?? DEFAULT_MODULE, opts.softhsmConfPath);
    try {
      return new HsmKeyStore(m, HsmKeyStore.login(m, opts), opts.tokenLabel, opts);
    } catch (e) {
      releaseModule(m);
      throw e;
    }
  }

  private static login(m: LoadedModule, opts: HsmKeyStoreOptions): graphene.Session {
    const slots = m.mod.getSlots(true);
    let slot: graphene.Slot | undefined;
    for (let i = 0; i < slots.length; i++) {
      const s = slots.items(i);
      const t = s.getToken();
      if (t.label.trim() === opts.tokenLabel && (t.flags & graphene.TokenFlag.TOKEN_INITIALIZED) !== 0) {
        slot = s;
        break;
      }
    }
    if (!slot) throw new Error(`no initialised token labelled ${opts.tokenLabel}`);
    const session = slot.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
    try {
      session.login(opts.userPin, graphene.UserType.USER);
    } catch (e) {
      session.close();
      throw new Error(`login to token ${opts.tokenLabel} failed: ${(e as Error).message}`);
    }
    return session;
  }

  /**
   * Runs `op`; after a recoverable PKCS#11 error, drops the cached handles, opens a new
   * session (the old one closed if it still can be) and runs `op` once more.
   */
  private withRecovery<T>(op: () => T): T {
    this.assertOpen();
    try {
      return op();
    } catch (e) {
      if (!isRecoverableHsmError(e)) throw e;
      this.keys.clear();
      try {
        this.session.close();
      } catch {
        /* the device may already have closed it */
      }
      // A token that went away and came back is not seen again by a running SoftHSM until the
      // library is re-initialised (a network HSM's client reconnects by itself): when this store
      // is the module's only user, re-initialise it, then log in again.
      if (this.module.refs === 1) {
        try {
          this.module.mod.finalize();
        } catch {
          /* already finalised */
        }
        this.module.mod.initialize();
      }
      this.session = HsmKeyStore.login(this.module, this.opts);
      this.reopened++;
      return op();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('key store is closed');
  }

  private findKey(domain: string): graphene.SecretKey | undefined {
    const cached = this.keys.get(domain);
    if (cached) return cached;
    const found = this.session.find({ class: graphene.ObjectClass.SECRET_KEY, token: true, label: domain });
    if (found.length > 1) throw new Error(`more than one key labelled ${domain} on token ${this.tokenLabel}`);
    if (found.length === 0) return undefined;
    const key = found.items(0).toType<graphene.SecretKey>();
    this.keys.set(domain, key);
    return key;
  }

  private requireKey(domain: string): graphene.SecretKey {
    assertDomain(domain);
    const k = this.findKey(domain);
    if (!k) throw new Error(`no key for domain ${domain} on token ${this.tokenLabel}`);
    return k;
  }

  /** Creates the missing domain keys (non-extractable, generated in the token); returns the inventory of those domains. */
  ensureDomainKeys(domains: string[]): KeyMetadata[] {
    this.assertOpen();
    for (const d of domains) assertDomain(d);
    for (const domain of domains) {
      if (this.findKey(domain)) continue;
      const key = this.session.generateKey(graphene.KeyGenMechanism.AES, {
        class: graphene.ObjectClass.SECRET_KEY,
        keyType: graphene.KeyType.AES,
        valueLen: 32,
        label: domain,
        id: Buffer.from(`hds:${domain}:1`, 'ascii'),
        token: true,
        private: true,
        sensitive: true,
        extractable: false,
        modifiable: false,
        wrap: true,
        unwrap: true,
        encrypt: false,
        decrypt: false,
        sign: false,
        verify: false,
        derive: false,
      });
      this.keys.set(domain, key);
    }
    const wanted = new Set(domains);
    return this.keyInventory().filter((k) => wanted.has(k.label));
  }

  /** Wraps a data key (16, 24 or 32 bytes) with the domain key; the data key only transits as a session object. */
  wrapDataKey(domain: string, dataKey: Buffer): Buffer {
    this.assertOpen();
    if (![16, 24, 32].includes(dataKey.length)) throw new Error(`data key must be 16, 24 or 32 bytes, got ${dataKey.length}`);
    return this.withRecovery(() => this.wrapOnce(domain, dataKey));
  }

  private wrapOnce(domain: string, dataKey: Buffer): Buffer {
    const kek = this.requireKey(domain);
    const tmp = this.session.create({
      class: graphene.ObjectClass.SECRET_KEY,
      keyType: graphene.KeyType.AES,
      value: dataKey,
      token: false,
      private: true,
      sensitive: false,
      extractable: true,
    });
    try {
      return this.session.wrapKey(WRAP_MECHANISM, kek, tmp.toType<graphene.SecretKey>());
    } finally {
      tmp.destroy();
    }
  }

  /** Unwraps a data key wrapped by wrapDataKey for the same domain. */
  unwrapDataKey(domain: string, wrapped: Buffer): Buffer {
    return this.withRecovery(() => this.unwrapOnce(domain, wrapped));
  }

  private unwrapOnce(domain: string, wrapped: Buffer): Buffer {
    const kek = this.requireKey(domain);
    const key = this.session.unwrapKey(WRAP_MECHANISM, kek, wrapped, {
      class: graphene.ObjectClass.SECRET_KEY,
      keyType: graphene.KeyType.AES,
      token: false,
      private: true,
      sensitive: false,
      extractable: true,
    });
    try {
      return Buffer.from(key.getAttribute('value') as Buffer);
    } finally {
      key.destroy();
    }
  }

  /**
   * Crypto-shredding (EXG_REV_7, docs/reversibility.md): destroys every token object labelled with
   * one of `domains` (C_DestroyObject) and forgets their handles. Returns the labels destroyed, one
   * per object; a domain without a key is simply absent from the result.
   */
  destroyKeys(domains: string[]): string[] {
    this.assertOpen();
    for (const d of domains) assertDomain(d);
    const destroyed: string[] = [];
    for (const domain of domains) {
      const found = this.session.find({ class: graphene.ObjectClass.SECRET_KEY, token: true, label: domain });
      for (let i = 0; i < found.length; i++) {
        found.items(i).destroy();
        destroyed.push(domain);
      }
      this.keys.delete(domain);
    }
    return destroyed;
  }

  /** The label and class of every token object the user can see (keys, certificates…): the proof after a destruction. */
  objectLabels(): Array<{ label: string; class: string }> {
    this.assertOpen();
    const out: Array<{ label: string; class: string }> = [];
    const found = this.session.find({ token: true });
    for (let i = 0; i < found.length; i++) {
      const a = found.items(i).getAttribute({ label: null, class: null }) as { label: string; class: number };
      out.push({ label: a.label, class: graphene.ObjectClass[a.class] ?? String(a.class) });
    }
    return out.sort((x, y) => (x.label < y.label ? -1 : x.label > y.label ? 1 : 0));
  }

  /** Metadata of every secret key stored on the token; no key material. */
  keyInventory(): KeyMetadata[] {
    return this.withRecovery(() => this.inventoryOnce());
  }

  private inventoryOnce(): KeyMetadata[] {
    const out: KeyMetadata[] = [];
    const found = this.session.find({ class: graphene.ObjectClass.SECRET_KEY, token: true });
    for (let i = 0; i < found.length; i++) {
      const a = found.items(i).getAttribute({
        label: null,
        id: null,
        keyType: null,
        valueLen: null,
        extractable: null,
        sensitive: null,
        neverExtractable: null,
        alwaysSensitive: null,
        local: null,
        wrap: null,
        unwrap: null,
        encrypt: null,
      });
      if (a.keyType !== graphene.KeyType.AES) continue;
      out.push({
        label: String(a.label),
        id: Buffer.isBuffer(a.id) ? a.id.toString('hex') : '',
        type: 'AES',
        bits: Number(a.valueLen) * 8,
        extractable: Boolean(a.extractable),
        sensitive: Boolean(a.sensitive),
        neverExtractable: Boolean(a.neverExtractable),
        alwaysSensitive: Boolean(a.alwaysSensitive),
        local: Boolean(a.local),
        canWrap: Boolean(a.wrap),
        canUnwrap: Boolean(a.unwrap),
        canEncrypt: Boolean(a.encrypt),
        mechanism: WRAP_MECHANISM_NAME,
      });
    }
    return out.sort((x, y) => x.label.localeCompare(y.label));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.keys.clear();
    try {
      this.session.logout();
    } catch {
      /* already logged out */
    }
    try {
      this.session.close();
    } catch {
      /* a session the device already dropped */
    } finally {
      releaseModule(this.module);
    }
  }
}

/**
 * Runs `fn` with a logged-in read/write session on the token labelled `opts.tokenLabel`, on the
 * process's shared module (acquireModule), then closes the session and releases the module.
 * PKCS#11 login is per application: when another session of this process (an open
 * HsmKeyStore) is already logged in, the session uses that login and does not log out.
 */
export function withTokenSession<T>(opts: HsmKeyStoreOptions, fn: (session: graphene.Session) => T): T {
  const m = acquireModule(opts.modulePath ?? DEFAULT_MODULE, opts.softhsmConfPath);
  try {
    const slots = m.mod.getSlots(true);
    let slot: graphene.Slot | undefined;
    for (let i = 0; i < slots.length; i++) {
      const t = slots.items(i).getToken();
      if (t.label.trim() === opts.tokenLabel && (t.flags & graphene.TokenFlag.TOKEN_INITIALIZED) !== 0) {
        slot = slots.items(i);
        break;
      }
    }
    if (!slot) throw new Error(`no initialised token labelled ${opts.tokenLabel}`);
    const session = slot.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
    let loggedIn = false;
    try {
      try {
        session.login(opts.userPin, graphene.UserType.USER);
        loggedIn = true;
      } catch (e) {
        if (!/CKR_USER_ALREADY_LOGGED_IN/.test((e as Error).message)) throw new Error(`login to token ${opts.tokenLabel} failed: ${(e as Error).message}`);
      }
      return fn(session);
    } finally {
      if (loggedIn) {
        try {
          session.logout();
        } catch {
          /* already logged out */
        }
      }
      try {
        session.close();
      } catch {
        /* a session the device already dropped */
      }
    }
  } finally {
    releaseModule(m);
  }
}

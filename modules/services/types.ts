/**
 * Shared shapes of the config renderers (modules/services/<service>/render.ts).
 *
 * A renderer is a pure function `input -> RenderedFile[]`: no I/O, no clock, no randomness.
 * The same files are written by the local lab and embedded in Proxmox cloud-init snippets,
 * so what the lab proves about a configuration holds for production (see ../../DESIGN).
 */
export interface RenderedFile {
  /** Path relative to the service's configuration root, e.g. `patroni/dc1-documents.yml`. */
  path: string;
  content: string;
  /** POSIX mode; defaults to 0o644. Files holding key material use 0o600. */
  mode?: number;
}

/** The service a guest file configures (policy evidence groups files by it). */
export type ConfigService = 'postgresql' | 'etcd' | 'haproxy' | 'backup' | 'waf' | 'monitoring' | 'kafka' | 'ceph';

/** A file of a guest, as the adapter (fromTopology/index.ts) places it for a deployment profile. */
export interface GuestFile extends RenderedFile {
  /** Absolute path on the guest, under the profile's root. */
  path: string;
  service: ConfigService;
  /** Unix user that owns the file (group: the user's own); root when absent. */
  owner?: string;
}

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

/**
 * The contract between the Proxmox stacks and the config renderers: for a guest of a
 * topology, the files its services need (modules/services/<svc>/render.ts produce them, the
 * local lab runs the very same files). Secrets are placeholders (secrets.ts), never values.
 */
import type { Guest, Topology } from '../../model/topology.ts';
import type { RenderedFile } from '../../services/types.ts';

export type { RenderedFile };

/**
 * Files to embed in a guest's cloud-init. A relative `path` lands under /etc/hds/<service>/;
 * an absolute one where it says. Must be pure (no I/O, no clock): the synthesized JSON is
 * compared across runs.
 */
export type ConfigFor = (topology: Topology, guest: Guest) => ConfigFile[];

/** A file to write, with the Unix user that owns it (root when absent). */
export type ConfigFile = RenderedFile & { owner?: string };

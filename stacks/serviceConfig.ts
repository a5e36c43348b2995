/**
 * THE HOOK between the Proxmox stacks and the config renderers.
 *
 * `configFor(topology, guest)` returns the files a guest's cloud-init writes: the default set
 * every Linux guest needs (role metadata, chrony, sysctl hardening, node exporter), then the
 * guest's service files from the one adapter (modules/services/fromTopology, production
 * profile) that the local lab and the policy evidence also call. Secrets are placeholders
 * (never values: buildUserData refuses anything that looks like an inline secret, and writes
 * files holding placeholders 0600).
 */
import { defaultConfigFor } from '../modules/proxmox/cloudinit/defaultConfig.ts';
import type { ConfigFor } from '../modules/proxmox/cloudinit/types.ts';
import { guestFiles } from '../modules/services/fromTopology/index.ts';
import { PRODUCTION } from '../modules/services/fromTopology/profile.ts';

export const configFor: ConfigFor = (topology, guest) => [...defaultConfigFor(topology, guest), ...guestFiles(topology, guest, PRODUCTION)];

/**
 * THE HOOK between the Proxmox stacks and the config renderers (modules/services/<svc>/render.ts).
 *
 * `configFor(topology, guest)` returns the files a guest's cloud-init writes: the default set
 * every Linux guest needs (role metadata, chrony, sysctl hardening, node exporter), then the
 * guest's service files, built from the topology by the adapters of
 * modules/services/fromTopology/ (dispatch on `guest.service` / `guest.role` there) through the
 * very renderers the local lab runs. Secrets are `secretRef(path, field)` placeholders (never
 * values: buildUserData refuses anything that looks like an inline secret, and writes files
 * holding placeholders 0600).
 *
 * Relative paths land under /etc/hds/<service>/, absolute ones where they say.
 */
import { defaultConfigFor } from '../modules/proxmox/cloudinit/defaultConfig.ts';
import type { ConfigFor } from '../modules/proxmox/cloudinit/types.ts';
import { serviceFilesFor } from '../modules/services/fromTopology/index.ts';

export const configFor: ConfigFor = (topology, guest) => [...defaultConfigFor(topology, guest), ...serviceFilesFor(topology, guest)];

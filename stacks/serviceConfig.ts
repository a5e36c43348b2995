/**
 * THE HOOK between the Proxmox stacks and the config renderers (modules/services/<svc>/render.ts).
 *
 * `configFor(topology, guest)` returns the files a guest's cloud-init writes. Today it returns
 * the default set every Linux guest needs (role metadata, chrony, sysctl hardening, node
 * exporter). To wire the renderers, dispatch on `guest.service` / `guest.role` here, build each
 * renderer's input from the topology, pass secrets as `secretRef(path, field)` placeholders
 * (never values: buildUserData refuses anything that looks like an inline secret), and append
 * the renderer's files to the default set, e.g.
 *
 *   case 'postgresql': if (g.role === 'primary' || g.role === 'standby') files.push(...renderPatroni(inputFromTopology(t, g)));
 *
 * Relative paths land under /etc/hds/<service>/, absolute ones where they say.
 */
import { defaultConfigFor } from '../modules/proxmox/cloudinit/defaultConfig.ts';
import type { ConfigFor } from '../modules/proxmox/cloudinit/types.ts';

export const configFor: ConfigFor = (topology, guest) => {
  const files = defaultConfigFor(topology, guest);
  // LEAD: append the service renderers' files here (see the comment above).
  return files;
};

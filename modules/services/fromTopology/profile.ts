/**
 * Deployment profiles: what truly differs between a production VM and the local lab for the
 * same guest of the same topology. Everything else — renderer inputs, role names, ports,
 * pg_hba subnets, TLS layout, secret names — is decided once by the adapter (index.ts).
 *
 * | field | production | lab |
 * | --- | --- | --- |
 * | root | the VM's own `/` | `<stateDir>/guests/<guest>/`, one tree per guest |
 * | address | the guest's NIC in the zone | its site's namespace address (one per site) |
 * | secrets | `@@secret:…@@` resolved at first boot from OpenBao (hds-secrets) | the same placeholders, resolved by the lab from its state dir when it writes the files |
 * | serviceManager | systemd units of the Debian packages | the lab supervisor (modules/lab/supervisor.ts), restart on failure |
 * | fencing | Patroni's watchdog, required (softdog): a primary whose Patroni dies is reset | none: no watchdog device in a namespace; HAProxy routes writes only through Patroni's REST API, so an orphaned primary gets no traffic, and the supervisor restarts Patroni, which demotes it |
 *
 * Pure data and pure functions: no I/O.
 */
import type { Guest } from '../../model/topology.ts';
import type { Zone } from '../../model/types.ts';

export interface DeploymentProfile {
  readonly name: 'production' | 'lab';
  /** Prefix of every platform-owned absolute path of `guest` ('' in production). Never ends with '/'. */
  root(guest: Pick<Guest, 'name'>): string;
  /** The IPv4 address `guest` has on its NIC in `zone` (listen and dial address). */
  address(guest: Guest, zone: Zone): string;
  /** How the `@@secret:…@@` placeholders of the files get their values. */
  readonly secrets: 'openbao-at-first-boot' | 'lab-state-dir';
  /** Who starts and restarts the services. */
  readonly serviceManager: 'systemd' | 'lab-supervisor';
  /** How a primary whose Patroni died is fenced (docs/adr/0006-ha-design.md). */
  readonly fencing: 'watchdog' | 'none';
}

export function nicOf(g: Guest, zone: Zone) {
  const n = g.nics.find((x) => x.zone === zone);
  if (!n) throw new Error(`${g.name} has no NIC in the ${zone} zone`);
  return n;
}

/** Production: every guest is a VM with its own file system and its own addresses. */
export const PRODUCTION: DeploymentProfile = {
  name: 'production',
  root: () => '',
  address: (g, zone) => nicOf(g, zone).ip,
  secrets: 'openbao-at-first-boot',
  serviceManager: 'systemd',
  fencing: 'watchdog',
};

export interface LabProfileOptions {
  /** Absolute path of the lab's state directory. */
  stateDir: string;
  /** The address of a site's network namespace (the lab has one per site). */
  siteAddress(site: string): string;
}

/** The lab: one network namespace per site, one file tree per guest under the state dir. */
export function labProfile(o: LabProfileOptions): DeploymentProfile {
  const stateDir = o.stateDir.replace(/\/+$/, '');
  if (!stateDir.startsWith('/')) throw new Error(`lab state dir must be absolute, got ${JSON.stringify(o.stateDir)}`);
  return {
    name: 'lab',
    root: (g) => `${stateDir}/guests/${g.name}`,
    address: (g, zone) => {
      nicOf(g, zone);
      return o.siteAddress(g.site);
    },
    secrets: 'lab-state-dir',
    serviceManager: 'lab-supervisor',
    fencing: 'none',
  };
}

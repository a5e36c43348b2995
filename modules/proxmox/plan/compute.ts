/**
 * Compute plan of one environment on one site: one VM per guest of the model hosted as a
 * 'vm' (appliances and bare metal are not Proxmox guests), on the node the model placed it,
 * with the model's CPU, RAM and disk, tags, protection in production, guest agent and serial
 * console. Linux guests boot a cloud image (a parameter, EXG_ENV_16) with a cloud-init
 * snippet; OpenShift nodes boot the cluster's agent-based installer ISO (ADR 0004).
 *
 * Guests that hold data (a NIC in the backup zone: PostgreSQL data nodes, Kafka brokers, backup
 * servers) get two disks out of the model's `diskGiB`: the system disk (`scsi0`, the cloud image,
 * SYSTEM_DISK_GIB) and a data disk (`scsi1`, the rest) with a fixed serial, so the guest finds it
 * at a stable /dev/disk/by-id path and encrypts it with LUKS2 (cloudinit/dataVolume.ts,
 * EXG_SEC_4.2). The sum of the two is the model's figure: `hdsctl show` and the stacks agree.
 */
import { parseCidr } from '../../model/cidr.ts';
import type { Guest, Topology } from '../../model/topology.ts';
import type { Zone } from '../../model/types.ts';
import { macAddress, vmIds, vnetId } from './ids.ts';
import type { DatastoreOptions, ProxmoxOptions } from './options.ts';

export interface NicPlan {
  zone: Zone;
  vnet: string;
  ip: string;
  /** Address with the zone prefix, e.g. 10.38.2.10/23. */
  cidr: string;
  /** Only on the first NIC (the service zone's gateway is the default route). */
  gateway?: string;
  mac: string;
}

/** A disk besides the system disk, holding the service's data (encrypted by the guest). */
export interface DataDiskPlan {
  /** Proxmox bus/slot, e.g. scsi1 (scsi0 is the system disk). */
  interface: 'scsi1';
  sizeGiB: number;
  /** Serial reported to the guest (max 20 bytes): the by-id name the guest opens. */
  serial: string;
}

/** System disk of a data holder, GiB: the cloud image grown to this size (halved on tiny test sizes). */
export const SYSTEM_DISK_GIB = 32;
/** Serial of the data disk, the same on every data holder: the guest addresses it by id, never as /dev/sdX. */
export const DATA_DISK_SERIAL = 'hds-data';

/**
 * The stable path of a data disk in the guest: virtio-scsi (scsi_hardware virtio-scsi-single) with a
 * serial reports it in VPD page 0x83, which udev names scsi-0<vendor>_<model>_<serial>.
 */
export function dataDiskById(serial: string = DATA_DISK_SERIAL): string {
  return `/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_${serial}`;
}

/** How a data holder's `diskGiB` splits into system and data disks (the sum is the model's figure). */
function splitDisk(totalGiB: number): { systemGiB: number; dataGiB: number } {
  const systemGiB = Math.min(SYSTEM_DISK_GIB, Math.floor(totalGiB / 2));
  return { systemGiB, dataGiB: totalGiB - systemGiB };
}

export interface VmPlan {
  guest: Guest;
  vmid: number;
  node: string;
  name: string;
  description: string;
  tags: string[];
  pool: string;
  cores: number;
  memoryMiB: number;
  /** The model's disk, all disks together. */
  diskGiB: number;
  /** Size of the system disk (scsi0): diskGiB, or what the data disk leaves of it. */
  systemDiskGiB: number;
  /** Data holders only: the separate data disk. */
  dataDisk?: DataDiskPlan;
  protection: boolean;
  boot: { kind: 'cloud-init'; image: string } | { kind: 'agent-iso'; iso: string };
  nics: NicPlan[];
  datastore: DatastoreOptions;
  /** Holds data backed up over the backup network (has a NIC in the backup zone). */
  holdsData: boolean;
}

/** Tags are sorted: PVE stores them sorted and an unsorted list is a permanent diff. */
function tag(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_.-]/g, '-');
}

export function holdsData(g: Guest): boolean {
  return g.nics.some((n) => n.zone === 'backup');
}

export function computePlan(t: Topology, site: string, opts: ProxmoxOptions): VmPlan[] {
  const ids = vmIds(t);
  const role = t.sites.find((s) => s.id === site)?.role ?? 'primary';
  const zoneBy = new Map(t.zones.filter((z) => z.site === site).map((z) => [z.zone, z]));
  const production = t.environment.segregation === 'production';
  return t.guests
    .filter((g) => g.site === site && g.hosting === 'vm')
    .map((g) => {
      const vmid = ids.get(g.name)!;
      if (!g.placement) throw new Error(`${g.name} has no hypervisor placement (validate the environment first)`);
      const nics = g.nics.map((n, k): NicPlan => {
        const z = zoneBy.get(n.zone)!;
        const prefix = parseCidr(z.cidr);
        if (!prefix.ok) throw new Error(`invalid subnet ${z.cidr}`);
        return {
          zone: n.zone,
          vnet: vnetId(t, n.zone),
          ip: n.ip,
          cidr: `${n.ip}/${prefix.cidr.prefix}`,
          ...(k === 0 ? { gateway: z.gateway } : {}),
          mac: macAddress(vmid, k),
        };
      });
      const tags = [
        `env-${tag(t.environment.name)}`,
        `site-${tag(site)}`,
        `svc-${tag(g.service)}`,
        `role-${tag(g.role)}`,
        `class-${t.environment.segregation === 'production' ? 'prod' : 'nonprod'}`,
        ...(g.domain ? [`domain-${tag(g.domain)}`] : []),
      ].sort();
      const openshift = g.service === 'openshift';
      const data = holdsData(g);
      const split = data ? splitDisk(g.size.diskGiB) : { systemGiB: g.size.diskGiB, dataGiB: 0 };
      return {
        guest: g,
        vmid,
        node: g.placement.node,
        name: g.name,
        description: `${g.service} ${g.role} of ${g.cluster} — environment ${t.environment.name} (${t.environment.class}), site ${site}. Managed by hds-platform; do not edit by hand.`,
        tags,
        pool: t.environment.name,
        cores: g.size.vcpu,
        memoryMiB: g.size.ramGiB * 1024,
        diskGiB: g.size.diskGiB,
        systemDiskGiB: split.systemGiB,
        ...(data ? { dataDisk: { interface: 'scsi1' as const, sizeGiB: split.dataGiB, serial: DATA_DISK_SERIAL } } : {}),
        protection: production,
        boot: openshift ? { kind: 'agent-iso', iso: opts.openshiftIso(t.environment.name, g.cluster) } : { kind: 'cloud-init', image: opts.linuxImage },
        nics,
        datastore: opts.datastores[role],
        holdsData: data,
      };
    });
}

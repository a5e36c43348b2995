/**
 * proxmox_virtual_environment_vm (SDK resource, long name only at provider v0.111). Only the
 * arguments the stacks use are typed; names, nesting and types follow schema.json. SDK
 * "single" blocks are list blocks with max 1 and are emitted as one-element arrays.
 */
import type { Construct } from 'constructs';
import { ProxmoxResource, type ResourceMeta } from './base.ts';

const VM_TYPE = 'proxmox_virtual_environment_vm';

/** network_device is an attribute-as-block: in JSON every key must be present (null when unset). */
export interface NetworkDevice {
  bridge: string;
  disconnected: boolean | null;
  enabled: boolean | null;
  firewall: boolean | null;
  mac_address: string | null;
  model: 'virtio' | 'e1000' | 'e1000e' | 'rtl8139' | 'vmxnet3' | null;
  mtu: number | null;
  queues: number | null;
  rate_limit: number | null;
  trunks: string | null;
  vlan_id: number | null;
}

/** A NIC with every key present, as Terraform JSON requires for attribute-as-block lists. */
export function networkDevice(d: Partial<NetworkDevice> & { bridge: string }): NetworkDevice {
  return {
    bridge: d.bridge,
    disconnected: d.disconnected ?? null,
    enabled: d.enabled ?? null,
    firewall: d.firewall ?? null,
    mac_address: d.mac_address ?? null,
    model: d.model ?? null,
    mtu: d.mtu ?? null,
    queues: d.queues ?? null,
    rate_limit: d.rate_limit ?? null,
    trunks: d.trunks ?? null,
    vlan_id: d.vlan_id ?? null,
  };
}

export interface VmDisk {
  interface: string;
  datastore_id?: string;
  size?: number;
  import_from?: string;
  file_id?: string;
  file_format?: 'qcow2' | 'raw' | 'vmdk';
  iothread?: boolean;
  discard?: 'on' | 'ignore';
  ssd?: boolean;
  backup?: boolean;
  replicate?: boolean;
  cache?: 'none' | 'writethrough' | 'writeback' | 'unsafe' | 'directsync';
  aio?: 'io_uring' | 'native' | 'threads';
  serial?: string;
}

export interface IpConfig {
  ipv4?: Array<{ address: string; gateway?: string }>;
}

export interface VirtualMachineConfig {
  node_name: string;
  name?: string;
  vm_id?: number;
  description?: string;
  tags?: string[];
  pool_id?: string;
  protection?: boolean;
  on_boot?: boolean;
  started?: boolean;
  bios?: 'seabios' | 'ovmf';
  machine?: string;
  scsi_hardware?: 'lsi' | 'lsi53c810' | 'virtio-scsi-pci' | 'virtio-scsi-single' | 'megasas' | 'pvscsi';
  boot_order?: string[];
  keyboard_layout?: string;
  stop_on_destroy?: boolean;
  reboot_after_update?: boolean;
  agent?: Array<{ enabled?: boolean; trim?: boolean; type?: 'virtio' | 'isa'; timeout?: string }>;
  cpu?: Array<{ cores?: number; sockets?: number; type?: string; numa?: boolean; units?: number; limit?: number }>;
  memory?: Array<{ dedicated?: number; floating?: number; shared?: number }>;
  disk?: VmDisk[];
  efi_disk?: Array<{ datastore_id?: string; type?: '2m' | '4m'; pre_enrolled_keys?: boolean; file_format?: 'qcow2' | 'raw' | 'vmdk' }>;
  cdrom?: Array<{ file_id?: string; interface?: string }>;
  network_device?: NetworkDevice[];
  initialization?: Array<{
    datastore_id?: string;
    interface?: string;
    type?: 'nocloud' | 'configdrive2';
    user_data_file_id?: string;
    meta_data_file_id?: string;
    vendor_data_file_id?: string;
    dns?: Array<{ domain?: string; servers?: string[] }>;
    ip_config?: IpConfig[];
  }>;
  operating_system?: Array<{ type?: 'l26' | 'other' | 'win11' | 'win10' }>;
  serial_device?: Array<{ device?: string }>;
  vga?: Array<{ type?: string; memory?: number }>;
  rng?: Array<{ source: string; max_bytes?: number; period?: number }>;
  startup?: Array<{ order?: number; up_delay?: number; down_delay?: number }>;
  tpm_state?: Array<{ datastore_id?: string; version?: 'v1.2' | 'v2.0' }>;
  smbios?: Array<{ manufacturer?: string; product?: string; serial?: string; family?: string }>;
  watchdog?: Array<{ enabled?: boolean; model?: 'i6300esb' | 'ib700'; action?: 'reset' | 'shutdown' | 'poweroff' | 'pause' | 'debug' | 'none' }>;
}

export class VirtualMachine extends ProxmoxResource<VirtualMachineConfig> {
  constructor(scope: Construct, id: string, config: VirtualMachineConfig, meta?: ResourceMeta) {
    super(scope, id, VM_TYPE, config, meta);
  }

  /** The numeric VM id (set explicitly by the stacks, so known at plan time). */
  get vmIdAttr(): number {
    return this.getNumberAttribute('vm_id');
  }

  get nodeNameAttr(): string {
    return this.getStringAttribute('node_name');
  }
}

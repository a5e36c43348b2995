/** The schema check fails, readably, on a deliberately wrong fixture (and passes the right one). */
import { describe, expect, it } from 'vitest';
import { loadProviderSchema } from './providerSchema.ts';
import { checkStack, formatProblem } from './schema.ts';

/** A Terraform variable reference, written without a template-looking literal. */
const tfVar = (name: string) => ['$', '{var.', name, '}'].join('');
const nic = {
  bridge: 'p00fr',
  disconnected: null,
  enabled: null,
  firewall: true,
  mac_address: null,
  model: 'virtio',
  mtu: null,
  queues: null,
  rate_limit: null,
  trunks: null,
  vlan_id: null,
};
const good = () => ({
  provider: { proxmox: [{ endpoint: tfVar('proxmox_endpoint'), api_token: tfVar('proxmox_api_token') }] },
  resource: {
    proxmox_virtual_environment_vm: {
      web: {
        '//': { metadata: {} },
        node_name: 'pve1',
        vm_id: 100,
        cpu: [{ cores: 2 }],
        memory: [{ dedicated: 2048 }],
        network_device: [nic],
        tags: ['a', 'b'],
      },
    },
    proxmox_backup_job: { daily: { id: 'daily', schedule: '*-*-* 01:00', storage: 'pbs', vmid: ['100'], prune_backups: { 'keep-daily': '7' } } },
  },
});

const schema = loadProviderSchema();
const messages = (json: object) => checkStack('fixture-dc1-compute', json as Record<string, unknown>, schema).map(formatProblem);

describe('checkStack against schema.json', () => {
  it('accepts a correct fixture', () => {
    expect(messages(good())).toEqual([]);
  });

  it('names the stack, the resource and the path of a wrong attribute', () => {
    const json = good();
    (json.resource.proxmox_virtual_environment_vm.web as Record<string, unknown>).cores = 2;
    expect(messages(json)).toEqual([
      expect.stringMatching(/^fixture-dc1-compute: proxmox_virtual_environment_vm\.web \/cores: unknown argument or block "cores" \(known: .*cpu.*\)$/),
    ]);
  });

  it('reports wrong nesting, types, enums, missing required arguments and incomplete attribute-as-block objects', () => {
    const json = good();
    const vm = json.resource.proxmox_virtual_environment_vm.web as Record<string, unknown>;
    vm.cpu = [{ cores: 'two', cpus: 2 }];
    vm.memory = [{}, {}];
    vm.bios = 'uefi';
    delete vm.node_name;
    vm.network_device = [{ bridge: 'p00fr', firewall: true }];
    vm.ipv4_addresses = [];
    const out = messages(json);
    expect(out).toEqual(
      expect.arrayContaining([
        expect.stringContaining('/cpu/0/cores: expected a number, got "two"'),
        expect.stringContaining('/cpu/0/cpus: unknown argument or block "cpus"'),
        expect.stringContaining('/memory: at most 1 block(s) allowed, got 2'),
        expect.stringContaining('/bios: "uefi" is not one of ovmf, seabios'),
        expect.stringContaining('/node_name: required argument missing'),
        expect.stringContaining('/network_device/0: attribute-as-block objects need every key'),
        expect.stringContaining('/ipv4_addresses: read-only (computed) attribute cannot be set'),
      ]),
    );
  });

  it('reports deprecated long names, unknown types, map value types and provider arguments', () => {
    // biome-ignore lint/suspicious/noExplicitAny: a deliberately malformed fixture
    const json = good() as Record<string, any>;
    json.resource.proxmox_virtual_environment_haresource = { x: { resource_id: 'vm:100' } };
    json.resource.proxmox_vm_magic = { x: {} };
    json.resource.proxmox_backup_job.daily.prune_backups = { 'keep-daily': 7 };
    json.provider.proxmox[0].api_key = 'x';
    const out = messages(json);
    expect(out).toEqual(
      expect.arrayContaining([
        expect.stringContaining('proxmox_virtual_environment_haresource.x /: use the preferred type name proxmox_haresource'),
        expect.stringContaining('proxmox_vm_magic.x /: unknown resource type proxmox_vm_magic'),
        expect.stringContaining('proxmox_backup_job.daily /prune_backups/keep-daily: expected a string, got 7'),
        expect.stringContaining('provider.proxmox[0] /api_key: unknown argument or block "api_key"'),
      ]),
    );
  });
});

/** Typed bindings for the subset of bpg/proxmox the stacks use (written from schema.json, v0.111.1). */
export * from './access.ts';
export * from './backup.ts';
export * from './base.ts';
export * from './files.ts';
export * from './firewall.ts';
export * from './ha.ts';
export * from './network.ts';
export * from './sdn.ts';
export * from './vm.ts';

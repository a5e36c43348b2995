/**
 * Data stack of one environment on one site (EXG_PRA_2): the environment's Proxmox Backup
 * Server storage (client-side encryption with an escrowed key given as a variable), vzdump
 * jobs with the model's schedules and retention, and replication of witnesses on local storage.
 * The VM ids come from the compute stack (cross-stack references).
 */
import { TerraformVariable, Token } from 'cdktf';
import type { Construct } from 'constructs';
import { BackupJob, Replication, StoragePbs } from '../modules/proxmox/bindings/index.ts';
import type { SiteBackupPlan } from '../modules/proxmox/plan/backup.ts';
import { ProxmoxStack } from './base.ts';
import type { ComputeStack } from './compute.ts';
import type { StackOptions } from './options.ts';

export class DataStack extends ProxmoxStack {
  constructor(scope: Construct, name: string, environment: string, site: string, plan: SiteBackupPlan, compute: ComputeStack, opts: StackOptions) {
    super(scope, { name, layer: 'data', cluster: compute.meta.cluster, site, environment }, opts);
    const vmid = (vm: string) => Token.asString(compute.vms.get(vm)!.vmIdAttr);
    if (plan.pbs) {
      const p = plan.pbs;
      const password = new TerraformVariable(this, 'pbs_password', {
        type: 'string',
        sensitive: true,
        description: `API token secret of ${environment}-pve@pbs on ${p.serverGuest}`,
      });
      const key = new TerraformVariable(this, 'pbs_encryption_key', {
        type: 'string',
        sensitive: true,
        description:
          'Client-side AES-256-GCM encryption key (proxmox-backup-client key JSON), generated offline and escrowed: backups stay readable after the loss of a site',
      });
      const fingerprint = new TerraformVariable(this, 'pbs_fingerprint', {
        type: 'string',
        description: `SHA-256 fingerprint of the TLS certificate of ${p.serverGuest}`,
      });
      const storage = new StoragePbs(this, 'pbs', {
        id: p.storageId,
        server: p.server,
        datastore: p.datastore,
        namespace: p.namespace,
        username: `${environment}-pve@pbs!${site.toLowerCase()}`,
        password: password.stringValue,
        fingerprint: fingerprint.stringValue,
        encryption_key: key.stringValue,
        content: ['backup'],
        backups: p.retention,
      });
      for (const j of plan.jobs) {
        new BackupJob(this, `backup_${j.kind}`, {
          id: j.id,
          schedule: j.schedule,
          storage: storage.idAttr,
          vmid: j.vms.map((v) => vmid(v.name)),
          mode: 'snapshot',
          compress: 'zstd',
          enabled: true,
          repeat_missed: true,
          prune_backups: j.pruneBackups,
          notes_template: `{{guestname}} ${j.kind} (${environment}, EXG_PRA_2)`,
          mailnotification: 'failure',
        });
      }
    }
    for (const r of plan.replications) {
      new Replication(this, `replication_${r.vmid}`, {
        id: `${vmid(r.vm)}-0`,
        target: r.target,
        type: 'local',
        schedule: r.schedule,
        comment: `witness ${r.vm} on local storage: replica for HA`,
      });
    }
  }
}

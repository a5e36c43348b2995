/**
 * pgBackRest and its schedule from the topology (EXG_PRA_2, EXG_PRA_3), on the shipped
 * environments: the offline copy as production receives it (an object-lock bucket on the external
 * Ceph cluster of DC3) and as the lab does (a posix path), refused without an external cluster;
 * repo2's retention from the policy; the schedule's units on the repository guest only; what the
 * hds-backup alerts watch.
 */
import { describe, expect, it } from 'vitest';
import { PORTS } from '../../model/ports.ts';
import { isPgData, pgDomains, repositoryGuest } from '../../model/roles.ts';
import type { Topology } from '../../model/topology.ts';
import { shippedTopology } from '../../testkit/topologies.ts';
import { backupSchedule } from '../backup/schedule.ts';
import { backupAlertInput, backupUnitsInput, offlineCopyBucket, pgbackrestFilesFor, pgbackrestOfflineRetention } from './backup.ts';
import { guestFiles } from './index.ts';
import { PGBACKREST_PATHS } from './paths.ts';
import { labProfile, PRODUCTION } from './profile.ts';

const prod = shippedTopology('production');
const lab = labProfile({ stateDir: '/srv/lab', siteAddress: (site) => `10.200.0.${site.slice(2)}` });
const withOffline = (name: string, offlineCopy: boolean): Topology =>
  shippedTopology(name, (doc) => ({ ...doc, services: { ...doc.services, backup: { ...doc.services.backup!, offlineCopy } } }));
const conf = (t: Topology, g = repositoryGuest(t)!, p = PRODUCTION) =>
  pgbackrestFilesFor(t, p, g).find((f) => f.path.endsWith(PGBACKREST_PATHS.config))!.content;
const lines = (s: string) => s.split('\n');

describe('repo2, the offline copy', () => {
  it('retention from the policy: fulls for the longest horizon in days (12 months > 1 year > 8 weeks), differentials and PITR for the daily one', () => {
    expect(prod.backup!.retention).toEqual({ daily: 14, weekly: 8, monthly: 12, yearly: 1 });
    expect(pgbackrestOfflineRetention(prod.backup!.retention)).toEqual({ fullDays: 372, diff: 14, archive: 14 });
    expect(pgbackrestOfflineRetention({ daily: 6, weekly: 2, monthly: 0, yearly: 0 })).toEqual({ fullDays: 14, diff: 6, archive: 6 });
    expect(pgbackrestOfflineRetention({ daily: 7, weekly: 4, monthly: 3, yearly: 2 }).fullDays).toBe(732);
  });

  it('production: an S3 bucket on the external Ceph cluster of DC3 (backup plane, RGW port), locked longer than pgBackRest keeps anything', () => {
    const ext = prod.guests.find((g) => g.service === 'ceph' && g.role === 'external' && g.site === 'DC3')!;
    const bucket = offlineCopyBucket(prod)!;
    expect(bucket).toEqual({
      name: 'production-pgbackrest-offline',
      region: 'production',
      user: 'production-pgbackrest',
      objectLock: { mode: 'COMPLIANCE', days: 403 },
    });
    expect(bucket.objectLock.days).toBeGreaterThan(pgbackrestOfflineRetention(prod.backup!.retention).fullDays);
    expect(lines(conf(prod))).toEqual(
      expect.arrayContaining([
        'repo2-type=s3',
        `repo2-s3-endpoint=${ext.nics.find((n) => n.zone === 'backup')!.ip}`,
        `repo2-storage-port=${PORTS.cephRgw}`,
        `repo2-s3-bucket=${bucket.name}`,
        'repo2-storage-ca-file=/etc/hds/tls/ca.crt',
        'repo2-cipher-pass=@@secret:production/backup-dc3/pgbackrest-repo2#cipher_pass@@',
        'repo2-s3-key=@@secret:production/backup-dc3/pgbackrest-repo2-s3#access_key@@',
        'repo2-retention-full=372',
      ]),
    );
    // Every data node pushes WAL to both repositories through the repository host.
    const repoIp = repositoryGuest(prod)!.nics.find((n) => n.zone === 'backup')!.ip;
    for (const g of prod.guests.filter(isPgData)) expect(conf(prod, g)).toContain(`repo2-host=${repoIp}\n`);
  });

  it('production without an external Ceph cluster: refused, saying what to declare', () => {
    const t = withOffline('recette', true);
    expect(t.guests.some((g) => g.role === 'external')).toBe(false);
    expect(() => pgbackrestFilesFor(t, PRODUCTION, repositoryGuest(t)!)).toThrow(
      /^recette: services\.backup\.offlineCopy is true but there is no external Ceph cluster .*declare services\.ceph\.external on DC3, or set offlineCopy: false$/,
    );
    // Without an offline copy: repo1 alone, and nothing is asked of Ceph.
    const plain = shippedTopology('recette');
    expect(conf(plain)).not.toContain('repo2');
    expect(offlineCopyBucket(plain)).toBeUndefined();
  });

  it('lab: a posix repository on the repository guest, under its root, whatever Ceph the lab runs', () => {
    const t = withOffline('lab', true);
    const repo = repositoryGuest(t)!;
    expect(lines(conf(t, repo, lab))).toEqual(
      expect.arrayContaining(['repo2-type=posix', `repo2-path=/srv/lab/guests/${repo.name}${PGBACKREST_PATHS.offlineRepoPath}`, 'repo2-retention-full=14']),
    );
    expect(conf(t, repo, lab)).not.toContain('repo2-s3');
  });
});

describe('the schedule on the repository guest', () => {
  it('units and the recorder on the first backup server only, at their production paths, the recorder executable', () => {
    const repo = repositoryGuest(prod)!;
    const files = guestFiles(prod, repo, PRODUCTION);
    const jobs = backupSchedule(backupUnitsInput(prod, PRODUCTION)!);
    expect(jobs.length).toBe(pgDomains(prod).length * 8);
    const units = files.filter((f) => f.path.startsWith('/etc/systemd/system/hds-'));
    expect(units.map((f) => f.path).sort()).toEqual(
      jobs.flatMap((j) => [`/etc/systemd/system/${j.unit}.service`, `/etc/systemd/system/${j.unit}.timer`]).sort(),
    );
    for (const u of units) expect([u.service, u.owner, u.mode]).toEqual(['backup', undefined, 0o644]);
    const recorder = files.find((f) => f.path === PGBACKREST_PATHS.recordScript)!;
    expect([recorder.mode, recorder.content]).toEqual([0o755, expect.stringContaining("dir='/var/lib/prometheus/node-exporter'")]);
    expect(units.find((f) => f.path.endsWith('hds-pgbackrest-documents-full.service'))!.content).toContain('RequiresMountsFor=/var/lib/pgbackrest\n');
    for (const g of prod.guests.filter((x) => x.service === 'backup' && x.name !== repo.name)) expect(guestFiles(prod, g, PRODUCTION)).toEqual([]);
    for (const g of prod.guests.filter(isPgData))
      expect(guestFiles(prod, g, PRODUCTION).some((f) => f.path.includes('/systemd/system/hds-pgbackrest'))).toBe(false);
  });

  it('no offline job without an offline copy; the lab profile places everything under the guest root', () => {
    const t = withOffline('lab', false);
    const input = backupUnitsInput(t, lab)!;
    const repo = repositoryGuest(t)!;
    expect(input.offlineCopy).toBe(false);
    expect(backupSchedule(input).map((j) => j.kind)).toEqual(['full', 'diff', 'incr', 'verify', 'restore-test']);
    for (const f of guestFiles(t, repo, lab)) expect(f.path.startsWith(`/srv/lab/guests/${repo.name}/`), f.path).toBe(true);
    expect(input.configPath).toBe(`/srv/lab/guests/${repo.name}/etc/pgbackrest/pgbackrest.conf`);
  });
});

describe('backupAlertInput', () => {
  it('every stanza, in repo1 and in repo2 when there is an offline copy; nothing without a backup policy', () => {
    expect(backupAlertInput(prod)).toEqual({ stanzas: pgDomains(prod), repos: ['repo1', 'repo2'] });
    expect(backupAlertInput(shippedTopology('lab'))).toEqual({ stanzas: ['documents'], repos: ['repo1', 'repo2'] });
    expect(backupAlertInput(withOffline('lab', false))).toEqual({ stanzas: ['documents'], repos: ['repo1'] });
    const { backup: _, ...noBackup } = prod;
    expect(backupAlertInput(noBackup as Topology)).toBeUndefined();
  });
});

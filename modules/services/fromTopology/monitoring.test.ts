/**
 * The monitoring adapter wires the hds-backup alerts (issue 14; EXG_PRA_2 backups with execution
 * evidence, EXG_PRA_3 restore tests) into every monitoring guest's rules, production and lab alike:
 * every stanza, in repo1 and, with an offline copy, in repo2; no group without a backup policy.
 */
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { pgDomains } from '../../model/roles.ts';
import type { Topology } from '../../model/topology.ts';
import { shippedTopology } from '../../testkit/topologies.ts';
import { MONITORING_FILES } from '../monitoring/render.ts';
import { monitoringFilesFor, monitoringInput } from './monitoring.ts';
import { labProfile, PRODUCTION } from './profile.ts';

type Rules = { groups: Array<{ name: string; rules: Array<{ alert: string; expr: string; labels: Record<string, string> }> }> };

const lab = labProfile({ stateDir: '/srv/lab', siteAddress: (site) => `10.200.0.${site.slice(2)}` });
const monitors = (t: Topology) => t.guests.filter((g) => g.service === 'monitoring');
const rulesOf = (t: Topology, p = PRODUCTION) => {
  const g = monitors(t)[0]!;
  const f = monitoringFilesFor(t, p, g).find((x) => x.path.endsWith(`/${MONITORING_FILES.rules}`))!;
  return YAML.parse(f.content) as Rules;
};
const backupGroup = (r: Rules) => r.groups.find((g) => g.name === 'hds-backup');

describe('monitoringInput: the hds-backup alerts', () => {
  it('production: every monitoring guest watches every stanza in repo1 and the offline copy (repo2)', () => {
    const prod = shippedTopology('production');
    expect(monitors(prod).length).toBeGreaterThan(0);
    for (const m of monitors(prod)) expect(monitoringInput(prod, PRODUCTION, m).backup).toEqual({ stanzas: pgDomains(prod), repos: ['repo1', 'repo2'] });
    const group = backupGroup(rulesOf(prod))!;
    expect(group).toBeDefined();
    const verifyRepos = group.rules.filter((r) => r.alert === 'PgBackRestVerifyStale').map((r) => r.labels.repo);
    expect(verifyRepos).toEqual(['repo1', 'repo2']);
    const never = group.rules.find((r) => r.alert === 'PgBackRestBackupNeverRecorded')!;
    for (const d of pgDomains(prod)) for (const repo of ['repo1', 'repo2']) expect(never.expr).toContain(`stanza="${d}",repo="${repo}"`);
  });

  it('lab: the same group under the lab profile, repo1 and the offline copy (repo2); repo1 only without one', () => {
    const t = shippedTopology('lab');
    expect(t.backup?.offlineCopy).toBe(true);
    expect(monitoringInput(t, lab, monitors(t)[0]!).backup).toEqual({ stanzas: ['documents'], repos: ['repo1', 'repo2'] });
    const group = backupGroup(rulesOf(t, lab))!;
    expect(group.rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining(['PgBackRestBackupStale', 'PgBackRestVerifyStale', 'RestoreTestStale', 'PgBackRestWalArchiveLagging']),
    );
    expect(group.rules.filter((r) => r.alert === 'PgBackRestVerifyStale').map((r) => r.labels.repo)).toEqual(['repo1', 'repo2']);
    const never = group.rules.find((r) => r.alert === 'PgBackRestBackupNeverRecorded')!;
    for (const repo of ['repo1', 'repo2']) expect(never.expr).toContain(`stanza="documents",repo="${repo}"`);

    const plain = shippedTopology('lab', (doc) => ({ ...doc, services: { ...doc.services, backup: { ...doc.services.backup!, offlineCopy: false } } }));
    expect(monitoringInput(plain, lab, monitors(plain)[0]!).backup).toEqual({ stanzas: ['documents'], repos: ['repo1'] });
    const plainGroup = backupGroup(rulesOf(plain, lab))!;
    expect(plainGroup.rules.filter((r) => r.alert === 'PgBackRestVerifyStale').map((r) => r.labels.repo)).toEqual(['repo1']);
    expect(plainGroup.rules.find((r) => r.alert === 'PgBackRestBackupNeverRecorded')!.expr).not.toContain('repo2');
  });

  it('no backup policy: no hds-backup group, the other groups unchanged', () => {
    const withBackup = shippedTopology('lab');
    const without = { ...withBackup, backup: undefined } as Topology;
    const names = (t: Topology) => rulesOf(t, lab).groups.map((g) => g.name);
    expect(monitoringInput(without, lab, monitors(without)[0]!).backup).toBeUndefined();
    expect(names(without)).not.toContain('hds-backup');
    expect(names(withBackup)).toEqual([...names(without), 'hds-backup']);
  });
});

/**
 * CRYPTO-006 on the documents bucket's policy (issue 13): both ways of writing in clear are denied —
 * a PUT asking for another mode, and a PUT with no encryption header at all (Ceph 16's
 * StringNotEquals does not match an absent key: measured on a running cluster, a plain PUT passed).
 */
import { describe, expect, it } from 'vitest';
import { CEPH_PATHS } from '../modules/services/fromTopology/paths.ts';
import { runRule } from './engine.ts';
import { RULES } from './index.ts';
import { productionInput } from './testing/fixture.ts';
import type { PolicyInput } from './types.ts';

const rule = RULES.find((r) => r.id === 'CRYPTO-006')!;
const bucketFindings = (i: PolicyInput) =>
  runRule(rule, i)
    .findings.map((f) => f.subject)
    .filter((s) => s.startsWith('bucket:'));

/** Keep only the policy statements `keep` accepts, in production's rendered Ceph plan. */
function withStatements(keep: (s: { Condition?: Record<string, unknown> }) => boolean): PolicyInput {
  const i = productionInput();
  const plan = i.rendered!.find((r) => r.service === 'ceph' && r.file === CEPH_PATHS.bootstrapPlan)!;
  const doc = JSON.parse(plan.content) as { rgw: { buckets: Array<{ policy: string }> } };
  for (const b of doc.rgw.buckets) {
    const p = JSON.parse(b.policy) as { Statement: Array<{ Condition?: Record<string, unknown> }> };
    p.Statement = p.Statement.filter(keep);
    b.policy = JSON.stringify(p);
  }
  plan.content = JSON.stringify(doc);
  return i;
}

describe('CRYPTO-006: the documents bucket refuses every unencrypted PUT', () => {
  it('passes on production: both deny statements are there', () => {
    expect(bucketFindings(productionInput())).toEqual([]);
  });

  it('fails without the Null statement (a PUT without the header would be stored in clear)', () => {
    expect(bucketFindings(withStatements((s) => !('Null' in (s.Condition ?? {}))))).toEqual(['bucket:documents']);
  });

  it('fails without the StringNotEquals statement (a PUT asking for another mode)', () => {
    expect(bucketFindings(withStatements((s) => !('StringNotEquals' in (s.Condition ?? {}))))).toEqual(['bucket:documents']);
  });
});

// Non-negotiable 6: no absolute path of the building machine in a report.
import { describe, expect, it } from 'vitest';
import { redactMachinePaths, redactText } from './redact.ts';

const roots = { repo: '/home/ci/work/hds-platform', tmp: '/tmp', home: '/home/ci' };

describe('redactMachinePaths', () => {
  it('replaces the repository, the temp and home directories, longest first, keeping the rest of the path', () => {
    expect(redactText('bootstrap.sh --toolkit /home/ci/work/hds-platform (checkout)', roots)).toBe('bootstrap.sh --toolkit . (checkout)');
    expect(redactText('error: /home/ci/work/hds-platform/modules/x.ts:3', roots)).toBe('error: ./modules/x.ts:3');
    expect(redactText('"/tmp/hds-to-abc/import-report.json" missing; see /home/ci/.npm/_logs', roots)).toBe(
      '"$TMPDIR/hds-to-abc/import-report.json" missing; see ~/.npm/_logs',
    );
  });

  it('leaves alone what only starts like a root, and relative paths', () => {
    expect(redactText('/tmpfoo/x and /home/cider and data/documents/a.csv', roots)).toBe('/tmpfoo/x and /home/cider and data/documents/a.csv');
  });

  it('walks objects and arrays, returns a copy, keeps non-strings', () => {
    const v = { a: ['/tmp/x', 3, null, true], b: { c: '/home/ci/work/hds-platform/.state/lab deleted' } };
    const r = redactMachinePaths(v, roots);
    expect(r).toEqual({ a: ['$TMPDIR/x', 3, null, true], b: { c: './.state/lab deleted' } });
    expect(v.a[0]).toBe('/tmp/x');
  });
});

/** Waivers: an expiry must be a real calendar date (GOV-001 depends on it); problems carry their JSON pointer and a hint. */
import { describe, expect, it } from 'vitest';
import { parseWaivers } from './waivers.ts';

const RULES = new Set(['GOV-002']);
const waiver = (expires: string) =>
  `waivers:\n  - id: W-1\n    rule: GOV-002\n    scope: { environment: production }\n    justification: vendor support\n    owner: DSI\n    expires: ${expires}\n`;

describe('parseWaivers', () => {
  it('accepts a real date', () => {
    expect(parseWaivers(waiver('2028-02-29'), RULES)).toMatchObject({ errors: [], waivers: [{ id: 'W-1', expires: '2028-02-29' }] });
  });

  it('refuses impossible dates, naming the value', () => {
    for (const bad of ['2099-02-31', '2025-13-45', '2027-02-29', '2026-04-31']) {
      const r = parseWaivers(waiver(bad), RULES);
      expect(r.waivers).toEqual([]);
      expect(r.problems).toEqual([
        { pointer: '/waivers/0/expires', message: `"${bad}" is not a calendar date`, hint: 'no such month or day: use YYYY-MM-DD, e.g. expires: 2027-01-31' },
      ]);
      expect(r.errors).toEqual([`/waivers/0/expires: "${bad}" is not a calendar date`]);
    }
  });

  it('refuses a date in another form and a missing expiry', () => {
    expect(parseWaivers(waiver('31/12/2027'), RULES).errors).toEqual(['/waivers/0/expires: "31/12/2027" is not a date']);
    expect(parseWaivers(waiver('""'), RULES).errors).toEqual(['/waivers/0: expires is required (YYYY-MM-DD)']);
  });

  it('a duplicate key is invalid YAML with one line', () => {
    const r = parseWaivers(`${waiver('2027-01-01')}waivers: []\n`, RULES);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^\/: invalid YAML: Map keys must be unique/);
  });
});

/**
 * The lab and every environment share the renderers: the adapters call the very functions the
 * lab components import (spied through the module both import), and the lab components import
 * them from the same modules.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { evaluate, loadWorkspace } from '../../loader/load.ts';
import * as backup from '../backup/render.ts';
import * as etcd from '../etcd/render.ts';
import * as haproxy from '../haproxy/render.ts';
import * as monitoring from '../monitoring/render.ts';
import * as postgres from '../postgres/render.ts';
import * as waf from '../waf/render.ts';
import { serviceFilesFor } from './index.ts';

vi.mock('../postgres/render.ts', async (orig) => ({ ...(await orig<typeof postgres>()), renderPatroni: vi.fn((await orig<typeof postgres>()).renderPatroni) }));
vi.mock('../etcd/render.ts', async (orig) => ({ ...(await orig<typeof etcd>()), renderEtcd: vi.fn((await orig<typeof etcd>()).renderEtcd) }));
vi.mock('../haproxy/render.ts', async (orig) => ({ ...(await orig<typeof haproxy>()), renderHaproxy: vi.fn((await orig<typeof haproxy>()).renderHaproxy) }));
vi.mock('../backup/render.ts', async (orig) => ({ ...(await orig<typeof backup>()), renderPgBackRest: vi.fn((await orig<typeof backup>()).renderPgBackRest) }));
vi.mock('../waf/render.ts', async (orig) => ({ ...(await orig<typeof waf>()), renderWaf: vi.fn((await orig<typeof waf>()).renderWaf) }));
vi.mock('../monitoring/render.ts', async (orig) => ({
  ...(await orig<typeof monitoring>()),
  renderMonitoring: vi.fn((await orig<typeof monitoring>()).renderMonitoring),
}));

const SHARED: Array<[string, string, unknown]> = [
  ['postgres.ts', 'renderPatroni', postgres.renderPatroni],
  ['etcd.ts', 'renderEtcd', etcd.renderEtcd],
  ['haproxy.ts', 'renderHaproxy', haproxy.renderHaproxy],
  ['pgbackrest.ts', 'renderPgBackRest', backup.renderPgBackRest],
  ['waf.ts', 'renderWaf', waf.renderWaf],
  ['monitoring.ts', 'renderMonitoring', monitoring.renderMonitoring],
];

describe('one set of renderers', () => {
  it('the production files come out of the renderer functions the lab components import', () => {
    const t = evaluate(loadWorkspace(join(import.meta.dirname, '..', '..', '..', 'environments'))).topologies.get('production')!;
    for (const g of t.guests) serviceFilesFor(t, g);
    for (const [component, name, fn] of SHARED) {
      expect(vi.isMockFunction(fn), name).toBe(true);
      expect((fn as ReturnType<typeof vi.fn>).mock.calls.length, name).toBeGreaterThan(0);
      const src = readFileSync(join(import.meta.dirname, '..', '..', 'lab', 'components', component), 'utf8');
      expect(src, `lab component ${component}`).toMatch(new RegExp(`import \\{[^}]*\\b${name}\\b[^}]*\\} from '\\.\\./\\.\\./services/\\w+/render\\.ts'`));
    }
  });
});

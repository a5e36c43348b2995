import { describe, expect, it } from 'vitest';
import { renderSoftHsmConf } from './render.ts';

describe('renderSoftHsmConf', () => {
  it('renders the token directory and file backend', () => {
    const [f] = renderSoftHsmConf({ tokenDir: '/srv/lab/hsm/dc1/tokens' });
    expect(f?.path).toBe('softhsm2.conf');
    expect(f?.content).toContain('directories.tokendir = /srv/lab/hsm/dc1/tokens/\n');
    expect(f?.content).toContain('objectstore.backend = file');
    expect(f?.content).toContain('log.level = ERROR');
  });
  it('rejects a relative or unsafe token dir', () => {
    expect(() => renderSoftHsmConf({ tokenDir: 'tokens' })).toThrow(/absolute/);
    expect(() => renderSoftHsmConf({ tokenDir: '/a b' })).toThrow(/absolute/);
  });
});

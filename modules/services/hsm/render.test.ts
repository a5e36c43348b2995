import { describe, expect, it } from 'vitest';
import { renderSoftHsmConf } from './render.ts';
import { generatePin } from './token.ts';

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

describe('generatePin', () => {
  it('returns distinct numeric PINs of the asked length', () => {
    const a = generatePin();
    expect(a).toMatch(/^\d{16}$/);
    expect(generatePin(24)).toMatch(/^\d{24}$/);
    expect(new Set(Array.from({ length: 20 }, () => generatePin())).size).toBe(20);
    expect(() => generatePin(4)).toThrow();
  });
});

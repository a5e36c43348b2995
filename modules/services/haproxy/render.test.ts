import { describe, expect, it } from 'vitest';
import { type HaproxyInput, renderHaproxy } from './render.ts';

const input: HaproxyInput = {
  site: 'DC1',
  bindAddress: '10.199.0.10',
  caFile: '/tls/ca.crt',
  statsPort: 8404,
  clusters: [
    {
      name: 'documents',
      writePort: 5000,
      readPort: 5001,
      servers: [
        { name: 'dc1-documents', address: '10.199.0.10', pgPort: 5432, restPort: 8008 },
        { name: 'dc2-documents', address: '10.199.16.10', pgPort: 5432, restPort: 8008 },
      ],
    },
  ],
};

describe('renderHaproxy', () => {
  const [file] = renderHaproxy(input);
  const cfg = file!.content;
  const section = (name: string) => cfg.split(/\n(?=\S)/).find((s) => s.startsWith(name)) ?? '';

  it('one file per DC', () => {
    expect(file!.path).toBe('haproxy-dc1.cfg');
  });
  it('write frontend on 5000 follows the leader via GET /primary over verified TLS', () => {
    expect(section('frontend documents_write')).toContain('bind 10.199.0.10:5000');
    const b = section('backend documents_write');
    expect(b).toContain('http-check send meth GET uri /primary');
    expect(b).toContain('http-check expect status 200');
    expect(b).toContain('server dc2-documents 10.199.16.10:5432 check port 8008 check-ssl verify required ca-file /tls/ca.crt');
    expect(b).toContain('on-marked-down shutdown-sessions');
  });
  it('read frontend on 5001 checks /replica', () => {
    expect(section('frontend documents_read')).toContain('bind 10.199.0.10:5001');
    expect(section('backend documents_read')).toContain('uri /replica');
  });
  it('stats and Prometheus exporter on 8404', () => {
    const s = section('frontend stats');
    expect(s).toContain('bind 10.199.0.10:8404');
    expect(s).toContain('http-request use-service prometheus-exporter if { path /metrics }');
  });
  it('sets timeouts', () => {
    for (const k of ['connect', 'client', 'server', 'check']) expect(cfg).toMatch(new RegExp(`timeout ${k} \\S+`));
  });
  it('refuses duplicate ports', () => {
    expect(() => renderHaproxy({ ...input, statsPort: 5000 })).toThrow(/distinct/);
  });
});

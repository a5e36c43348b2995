import { describe, expect, it } from 'vitest';
import { copyPaths, renderCopyConfig } from './copy.ts';

describe('the restored copy’s own configuration', () => {
  const paths = copyPaths('/srv/restore/data');
  const c = renderCopyConfig({ paths, port: 5432, tls: { certFile: 'server.crt', keyFile: 'server.key', caFile: 'ca.crt' }, operators: ['postgres', 'root'] });

  it('listens on the site loopback only, over TLS, never archives, recovers without hot standby', () => {
    expect(c.postgresqlConf).toContain("listen_addresses = '127.0.0.1'");
    expect(c.postgresqlConf).toContain('ssl = on');
    expect(c.postgresqlConf).toContain("ssl_cert_file = '/srv/restore/data/conf/server.crt'");
    expect(c.postgresqlConf).toContain('archive_mode = off');
    expect(c.postgresqlConf).toContain('hot_standby = off');
    expect(c.postgresqlConf).toContain("unix_socket_directories = '/srv/restore/data/run'");
    expect(c.postgresqlConf).toContain('unix_socket_permissions = 0700');
    expect(c.postgresqlConf).toContain("data_directory = '/srv/restore/data/pgdata'");
    expect(c.postgresqlConf).not.toMatch(/archive_command|primary_conninfo/);
  });

  it('lets in the operators through the socket (peer, mapped to postgres) and TCP only with TLS and SCRAM', () => {
    const rules = c.hbaConf.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(rules).toEqual(['local   all      all                peer map=operator', 'hostssl all      all  127.0.0.1/32  scram-sha-256']);
    expect(rules.some((r) => /\btrust\b|^host\s/.test(r))).toBe(false);
    expect(c.identConf).toContain('operator root postgres');
    expect(c.identConf).toContain('operator postgres postgres');
  });

  it('refuses a bad port or operator name', () => {
    expect(() => renderCopyConfig({ paths, port: 0, tls: { certFile: 'a', keyFile: 'b', caFile: 'c' }, operators: [] })).toThrow(/port 0/);
    expect(() => renderCopyConfig({ paths, port: 5432, tls: { certFile: 'a', keyFile: 'b', caFile: 'c' }, operators: ['root; drop'] })).toThrow(/Unix user/);
  });
});

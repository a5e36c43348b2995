import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type PatroniClusterInput, renderFenceOrphanScript, renderPatroni, renderPatroniFenceDropIn } from './render.ts';

const pw = (s: string) => `${s}-0123456789abcdef`;
const node = (site: string, address: string) => ({
  name: `${site.toLowerCase()}-documents`,
  site,
  address,
  pgPort: 5432,
  restPort: 8008,
  dataDir: `/data/${site}`,
  socketDir: `/run/${site}`,
  pgpassFile: `/run/${site}/pgpass`,
  serverTls: { certFile: `/tls/${site}.crt`, keyFile: `/tls/${site}.key`, caFile: '/tls/ca.crt' },
  clientTls: { certFile: '/tls/patroni.crt', keyFile: '/tls/patroni.key' },
});
const input: PatroniClusterInput = {
  domain: 'documents',
  configRoot: '/etc/hds/postgres',
  allowedSubnets: ['10.199.0.0/16'],
  etcd: {
    hosts: ['10.199.0.10:2379', '10.199.16.10:2379', '10.199.32.10:2379'],
    caFile: '/tls/ca.crt',
    certFile: '/tls/patroni.crt',
    keyFile: '/tls/patroni.key',
  },
  users: {
    superuser: { username: 'postgres', password: pw('su') },
    replication: { username: 'replicator', password: pw('repl') },
    rewind: { username: 'rewind_user', password: pw('rew') },
    app: { username: 'documents_app', password: pw('app') },
    restApi: { username: 'patroni', password: pw('rest') },
  },
  pgbackrest: { stanza: 'documents' },
  nodes: [node('DC1', '10.199.0.10'), node('DC2', '10.199.16.10')],
};

describe('renderPatroni', () => {
  const files = renderPatroni(input);
  const dc1 = parse(files.find((f) => f.path === 'dc1-documents/patroni.yml')!.content);

  it('renders one 0600 config per node plus the post-bootstrap script', () => {
    expect(files.map((f) => [f.path, f.mode])).toEqual([
      ['documents-post-bootstrap.sh', 0o755],
      ['dc1-documents/patroni.yml', 0o600],
      ['dc2-documents/patroni.yml', 0o600],
    ]);
    expect(dc1.scope).toBe('documents');
    expect(dc1.postgresql.bin_dir).toBe('/usr/lib/postgresql/15/bin');
  });

  it('EXG_PCA_2: synchronous_mode and synchronous_mode_strict (RPO 0)', () => {
    expect(dc1.bootstrap.dcs.synchronous_mode).toBe(true);
    expect(dc1.bootstrap.dcs.synchronous_mode_strict).toBe(true);
  });

  it('initdb with data checksums', () => {
    expect(dc1.bootstrap.initdb).toContain('data-checksums');
  });

  it('pg_hba: hostssl + scram-sha-256 on the allowed subnets only, nothing wider', () => {
    const hba: string[] = dc1.postgresql.pg_hba;
    // Patroni's IDENTIFY_SYSTEM on a replica (its timeline in /metrics) goes over local replication.
    expect(hba).toContain('host    replication     replicator      127.0.0.1/32    scram-sha-256');
    const remote = hba.filter((l) => /^host/.test(l) && !l.includes('127.0.0.1/32') && !l.endsWith('reject'));
    expect(remote.length).toBeGreaterThan(0);
    for (const l of remote) {
      expect(l).toMatch(/^hostssl /);
      expect(l).toMatch(/10\.199\.0\.0\/16\s+scram-sha-256$/);
    }
    expect(hba.some((l) => /\b(trust|md5|password)\b/.test(l))).toBe(false);
    expect(hba.at(-1)).toMatch(/0\.0\.0\.0\/0\s+reject$/);
  });

  it('TLS: ssl on, REST API with cert, etcd3 over https with client cert', () => {
    expect(dc1.postgresql.parameters.ssl).toBe('on');
    expect(dc1.postgresql.parameters.ssl_cert_file).toBe('/tls/DC1.crt');
    expect(dc1.restapi.listen).toBe('10.199.0.10:8008');
    expect(dc1.restapi.certfile).toBe('/tls/DC1.crt');
    expect(dc1.etcd3.protocol).toBe('https');
    expect(dc1.etcd3.cert).toBe('/tls/patroni.crt');
    expect(dc1.etcd3.hosts).toHaveLength(3);
  });

  it('EXG_PRA_2: archive_mode on, archive_command pushes to pgBackRest', () => {
    expect(dc1.postgresql.parameters.archive_mode).toBe('on');
    expect(dc1.postgresql.parameters.archive_command).toBe('pgbackrest --stanza=documents archive-push %p');
    const withCfg = parse(renderPatroni({ ...input, pgbackrest: { stanza: 'documents', configPath: '/x/pgbackrest.conf' } })[1]!.content);
    expect(withCfg.postgresql.parameters.archive_command).toBe('pgbackrest --config=/x/pgbackrest.conf --stanza=documents archive-push %p');
  });

  it('users and passwords come from the input, none in the post-bootstrap script', () => {
    expect(dc1.postgresql.authentication.superuser).toEqual({ username: 'postgres', password: pw('su') });
    expect(dc1.postgresql.authentication.replication.username).toBe('replicator');
    expect(dc1.postgresql.authentication.rewind.username).toBe('rewind_user');
    expect(dc1.bootstrap.users.documents_app.password).toBe(pw('app'));
    const script = files[0]!.content;
    expect(script).toContain('CREATE DATABASE documents OWNER documents_app');
    expect(script).not.toContain(pw('app'));
  });

  it('tags carry the site', () => {
    expect(dc1.tags.dc).toBe('DC1');
    expect(dc1.tags.nofailover).toBe(false);
  });

  it('refuses a single node, a /0 subnet and short passwords', () => {
    expect(() => renderPatroni({ ...input, nodes: input.nodes.slice(0, 1) })).toThrow(/needs 2 nodes/);
    expect(() => renderPatroni({ ...input, allowedSubnets: ['0.0.0.0/0'] })).toThrow(/too wide/);
    expect(() => renderPatroni({ ...input, users: { ...input.users, app: { username: 'a', password: 'x' } } })).toThrow(/too short/);
  });
});

describe('fencing of an orphaned postmaster (ADR 0006)', () => {
  it('stops only a postmaster running on its own data directory, immediately, and never fails the start', () => {
    const s = renderFenceOrphanScript({ dataDir: "/srv/lab/pg data/it's" });
    expect(s.startsWith('#!/bin/sh\n')).toBe(true);
    expect(s).toContain(`data='/srv/lab/pg data/it'\\''s'`);
    expect(s).toMatch(/'\/usr\/lib\/postgresql\/15\/bin\/pg_ctl' status -D "\$data"/);
    expect(s).toMatch(/pg_ctl' stop -D "\$data" -m immediate/);
    expect(s.trimEnd().endsWith('exit 0')).toBe(true);
  });
  it('is wired before every Patroni start by a systemd drop-in whose failure is ignored', () => {
    expect(renderPatroniFenceDropIn('/usr/local/lib/hds-platform/patroni-fence-orphan')).toContain('[Service]\nExecStartPre=-/usr/local/lib/hds-platform/patroni-fence-orphan\n');
  });
});

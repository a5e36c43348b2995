import { describe, expect, it } from 'vitest';
import { blackboxProcessSpec, nodeExporterProcessSpec, postgresExporterProcessSpec, prometheusProcessSpec } from './monitoring.ts';
import { wafConfigTestCommand, wafProcessSpec } from './waf.ts';

describe('wafProcessSpec', () => {
  it('runs nginx in the foreground with the rendered config and prefix', () => {
    const s = wafProcessSpec({ name: 'waf-dc1', confDir: '/c', runDir: '/r', netns: 'hds-dc1' });
    expect(s).toEqual({ name: 'waf-dc1', netns: 'hds-dc1', command: '/usr/sbin/nginx', args: ['-c', '/c/nginx.conf', '-p', '/r/', '-g', 'daemon off;'] });
    expect(wafConfigTestCommand({ name: 'w', confDir: '/c', runDir: '/r' }).args).toEqual(['-c', '/c/nginx.conf', '-p', '/r/', '-t', '-q']);
  });
});

describe('monitoring ProcessSpecs', () => {
  it('prometheus, blackbox and postgres_exporter with config paths and listen addresses from input', () => {
    expect(prometheusProcessSpec({ name: 'prometheus', confDir: '/c', dataDir: '/d', listen: '127.0.0.1:9090', netns: 'hds-dc3' })).toEqual({
      name: 'prometheus',
      netns: 'hds-dc3',
      command: '/usr/bin/prometheus',
      args: [
        '--config.file=/c/prometheus.yml',
        '--storage.tsdb.path=/d',
        '--storage.tsdb.retention.time=15d',
        '--web.listen-address=127.0.0.1:9090',
        '--web.enable-lifecycle',
        '--log.format=json',
      ],
    });
    expect(blackboxProcessSpec({ name: 'blackbox', confDir: '/c', listen: '127.0.0.1:9115' }).args).toEqual([
      '--config.file=/c/blackbox.yml',
      '--web.listen-address=127.0.0.1:9115',
      '--log.format=json',
    ]);
    const pe = postgresExporterProcessSpec({
      name: 'pgexp-dc1',
      listen: '10.0.0.1:9187',
      pg: { host: '127.0.0.1', port: 5432, database: 'postgres' },
      pgUser: 'monitor',
      passwordFile: '/s/monitor.pw',
    });
    expect(pe.env).toEqual({ DATA_SOURCE_URI: '127.0.0.1:5432/postgres?sslmode=disable', DATA_SOURCE_USER: 'monitor', DATA_SOURCE_PASS_FILE: '/s/monitor.pw' });
    expect(JSON.stringify(pe)).not.toMatch(/password=/i);
  });

  it('node exporter: the textfile collector reads the given directory only when one is given', () => {
    expect(nodeExporterProcessSpec({ name: 'ne', listen: '10.0.0.3:9100' }).args).toEqual(['--web.listen-address=10.0.0.3:9100', '--log.format=json']);
    expect(nodeExporterProcessSpec({ name: 'ne', listen: '10.0.0.3:9100', textfileDir: '/g/var/lib/prometheus/node-exporter' }).args).toEqual([
      '--web.listen-address=10.0.0.3:9100',
      '--log.format=json',
      '--collector.textfile.directory=/g/var/lib/prometheus/node-exporter',
    ]);
  });
});

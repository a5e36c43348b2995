/** In-memory AES key wrap stand-in (unit tests only; the integration test uses SoftHSM). */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.ts';
import { connectionStringWithPassword, isRetryable } from './db.ts';
import { type KeyWrapper, open, seal } from './envelope.ts';
import { refServiceProcessSpec } from './process.ts';
import { parseNewDocument } from './server.ts';

function fakeHsm(): KeyWrapper {
  const kek = randomBytes(32);
  return {
    wrapDataKey: (_d, k) => {
      const c = createCipheriv('id-aes256-wrap', kek, Buffer.from('A6A6A6A6A6A6A6A6', 'hex'));
      return Buffer.concat([c.update(k), c.final()]);
    },
    unwrapDataKey: (_d, w) => {
      const c = createDecipheriv('id-aes256-wrap', kek, Buffer.from('A6A6A6A6A6A6A6A6', 'hex'));
      return Buffer.concat([c.update(w), c.final()]);
    },
  };
}

const validCfg = {
  serviceName: 'refservice-dc1',
  listen: { host: '127.0.0.1', port: 8080 },
  database: { connectionString: 'postgresql://refservice@127.0.0.1:5000/documents', passwordFile: '/s/db.pw' },
  hsm: { softhsmConfPath: '/s/softhsm2.conf', tokenLabel: 'hds-dc1', pinFile: '/s/hsm.pin', domain: 'documents' },
};

describe('envelope encryption', () => {
  it('round-trips and binds the ciphertext to the document id and domain', () => {
    const hsm = fakeHsm();
    const pt = Buffer.from('compte rendu: tension 12/8');
    const s = seal(pt, 'doc-1', 'documents', hsm);
    expect(s.ciphertext.includes(pt)).toBe(false);
    expect(s.iv.length).toBe(12);
    expect(s.tag.length).toBe(16);
    expect(open(s, 'doc-1', 'documents', hsm).equals(pt)).toBe(true);
    expect(() => open(s, 'doc-2', 'documents', hsm)).toThrow();
    const tampered = { ...s, ciphertext: Buffer.from(s.ciphertext) };
    tampered.ciphertext[0] = (tampered.ciphertext[0] ?? 0) ^ 1;
    expect(() => open(tampered, 'doc-1', 'documents', hsm)).toThrow();
  });
  it('uses a fresh data key and IV per document', () => {
    const hsm = fakeHsm();
    const a = seal(Buffer.from('x'), 'd', 'documents', hsm);
    const b = seal(Buffer.from('x'), 'd', 'documents', hsm);
    expect(a.wrappedKey.equals(b.wrappedKey)).toBe(false);
    expect(a.iv.equals(b.iv)).toBe(false);
  });
});

describe('parseConfig', () => {
  it('accepts a valid config', () => {
    expect(parseConfig(validCfg)).toEqual(validCfg);
  });
  it('rejects an embedded password and a bad domain', () => {
    expect(() => parseConfig({ ...validCfg, database: { connectionString: 'postgresql://u:secret@h/db' } })).toThrow(/password/);
    expect(() => parseConfig({ ...validCfg, hsm: { ...validCfg.hsm, domain: 'Bad Domain' } })).toThrow(/domain/);
    expect(() => parseConfig({ ...validCfg, listen: { host: 'x' } })).toThrow(/port/);
  });
});

describe('parseNewDocument', () => {
  it('validates the payload strictly', () => {
    const ok = parseNewDocument(Buffer.from(JSON.stringify({ title: 't', patientId: 'p-1', category: 'cr', contentBase64: 'aGVsbG8=' })));
    expect(ok.content.toString()).toBe('hello');
    const bad = (o: unknown) => () => parseNewDocument(Buffer.from(JSON.stringify(o)));
    expect(bad({ title: 't', patientId: 'p 1', category: 'cr', contentBase64: 'aGVsbG8=' })).toThrow(/patientId/);
    expect(bad({ title: 't', patientId: 'p', category: 'cr', contentBase64: 'not base64!' })).toThrow(/base64/);
    expect(bad({ title: 't', patientId: 'p', category: 'cr', contentBase64: 'aGVsbG8=', extra: 1 })).toThrow(/unknown field/);
    expect(() => parseNewDocument(Buffer.from('{'))).toThrow(/JSON/);
  });
});

describe('isRetryable', () => {
  it('classifies failover-type errors as retryable, others not', () => {
    expect(isRetryable({ code: 'ECONNREFUSED' })).toBe(true);
    expect(isRetryable({ code: '57P01' })).toBe(true);
    expect(isRetryable({ code: '25006' })).toBe(true);
    expect(isRetryable({ code: '08006' })).toBe(true);
    expect(isRetryable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isRetryable({ code: '23505' })).toBe(false);
    expect(isRetryable({ code: '42P01' })).toBe(false);
  });
});

describe('connectionStringWithPassword', () => {
  it('adds the password in memory, percent-encoded', () => {
    expect(connectionStringWithPassword('postgresql://u@h:5/db', 'a/b@c:d%')).toBe('postgresql://u:a%2Fb%40c%3Ad%25@h:5/db');
    expect(connectionStringWithPassword('postgresql://u@h:5/db')).toBe('postgresql://u@h:5/db');
  });
});

describe('refServiceProcessSpec', () => {
  it('runs main.ts through tsx from the repo root', () => {
    const s = refServiceProcessSpec({
      name: 'refservice-dc1',
      configPath: '/state/refservice-dc1.json',
      repoRoot: '/repo',
      netns: 'hds-dc1',
      nodeBin: '/usr/bin/node',
    });
    expect(s).toEqual({
      name: 'refservice-dc1',
      netns: 'hds-dc1',
      command: '/usr/bin/node',
      args: ['--import', 'tsx', '/repo/modules/refservice/main.ts', '--config', '/state/refservice-dc1.json'],
      cwd: '/repo',
      env: { NODE_ENV: 'production' },
    });
  });
});

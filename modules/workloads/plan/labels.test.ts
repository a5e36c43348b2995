import { describe, expect, it } from 'vitest';
import { isDns1123Label, isDns1123Subdomain, isReservedNamespace, toDns1123Subdomain } from './labels.ts';
import { cpuMillis, formatCpu, formatMemory, memoryBytes, memoryMiB } from './quantities.ts';

describe('Kubernetes names', () => {
  it('tells DNS-1123 labels and subdomains apart', () => {
    expect(isDns1123Label('documents-api')).toBe(true);
    expect(isDns1123Label('documents.indexed')).toBe(false);
    expect(isDns1123Label('Documents')).toBe(false);
    expect(isDns1123Label('-x')).toBe(false);
    expect(isDns1123Label('a'.repeat(64))).toBe(false);
    expect(isDns1123Subdomain('documents.indexed')).toBe(true);
    expect(isDns1123Subdomain('a..b')).toBe(false);
  });

  it('turns a topic name into an object name, or refuses', () => {
    expect(toDns1123Subdomain('accounts_Events.v1')).toBe('accounts-events.v1');
    expect(toDns1123Subdomain('__consumer')).toBe('consumer');
    expect(() => toDns1123Subdomain('___')).toThrow(/cannot be turned/);
  });

  it('knows the namespaces Kubernetes and OpenShift own', () => {
    expect(['default', 'kube-system', 'openshift', 'openshift-dns'].every(isReservedNamespace)).toBe(true);
    expect(isReservedNamespace('documents')).toBe(false);
  });
});

describe('quantities', () => {
  it('parses the catalog forms and writes sums back', () => {
    expect(cpuMillis('250m')).toBe(250);
    expect(cpuMillis('2')).toBe(2000);
    expect(memoryMiB('2Gi')).toBe(2048);
    expect(memoryBytes('1Mi')).toBe(1048576);
    expect(formatCpu(1250.2)).toBe('1251m');
    expect(formatMemory(1536)).toBe('1536Mi');
  });

  it('refuses what the catalog check refuses', () => {
    expect(() => cpuMillis('two')).toThrow(/CPU quantity "two"/);
    expect(() => memoryMiB('1GB')).toThrow(/memory quantity "1GB"/);
  });
});

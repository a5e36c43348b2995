import { describe, expect, it } from 'vitest';
import { generatePin } from './token.ts';

describe('generatePin', () => {
  it('returns distinct numeric PINs of the asked length', () => {
    const a = generatePin();
    expect(a).toMatch(/^\d{16}$/);
    expect(generatePin(24)).toMatch(/^\d{24}$/);
    expect(new Set(Array.from({ length: 20 }, () => generatePin())).size).toBe(20);
    expect(() => generatePin(4)).toThrow();
  });
});

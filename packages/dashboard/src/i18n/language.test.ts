import { describe, expect, it } from 'vitest';
import { initialLanguage } from './index';

describe('the first language shown', () => {
  it('is the one chosen before', () => {
    expect(initialLanguage('fr', ['en-US'])).toBe('fr');
    expect(initialLanguage('en', ['fr-FR'])).toBe('en');
  });

  it('is otherwise the browser’s first French or English preference', () => {
    expect(initialLanguage(null, ['de-DE', 'fr-CA', 'en'])).toBe('fr');
    expect(initialLanguage(null, ['EN-gb', 'fr'])).toBe('en');
    expect(initialLanguage('klingon', ['fr'])).toBe('fr');
  });

  it('is English when the browser prefers neither', () => {
    expect(initialLanguage(null, ['de', 'ja'])).toBe('en');
    expect(initialLanguage(null, [])).toBe('en');
  });
});

import { describe, expect, it } from 'vitest';
import type { LeafQuestion } from '../../src/engine/types.js';
import { formatAnswer } from '../../src/reports/labels.js';

const lookups = { villages: new Map<string, string>(), activities: new Map<string, string>() };
const t = (key: string) => key;
const dateQuestion = { id: 'date', type: 'date', label: 'Tanggal' } as unknown as LeafQuestion;

describe('answers as a facilitator reads them', () => {
  it('a date answer reads as a day, not as ISO text, in either language', () => {
    expect(formatAnswer(dateQuestion, '2026-12-08', t, lookups, 'id')).toBe('8 Des 2026');
    expect(formatAnswer(dateQuestion, '2026-12-08', t, lookups, 'en')).toBe('8 Dec 2026');
    expect(formatAnswer(dateQuestion, 'kemarin', t, lookups, 'id')).toBe('kemarin');
  });
});

/** Small pure helpers: command words, Indonesian numbers, dates, choice matching. */
import { describe, expect, it } from 'vitest';
import { matchChoice, normalizeCommandWord, parseDateInput, parseLocalNumber, parseYesNo } from '../../src/engine/index.js';
import { sourceItems } from '../../src/engine/choices.js';
import { context } from './helpers.js';

describe('normalizeCommandWord', () => {
  it('lowercases, strips accents, a leading slash and spaces', () => {
    expect(normalizeCommandWord('  /Lewati ')).toBe('lewati');
    expect(normalizeCommandWord('BATAL')).toBe('batal');
    expect(normalizeCommandWord('Hapús  Data')).toBe('hapus data');
    expect(normalizeCommandWord('/datasaya')).toBe('datasaya');
  });
});

describe('parseYesNo', () => {
  it.each([
    ['ya', true], ['Y', true], ['yes', true], ['Iya', true], ['/ya', true],
    ['tidak', false], ['t', false], ['No', false], ['tdk', false], ['gak', false],
    ['mungkin', undefined], ['', undefined],
  ])('%s -> %s', (input, expected) => {
    expect(parseYesNo(input)).toBe(expected);
  });
});

describe('parseLocalNumber (Indonesian style)', () => {
  it.each([
    ['25', 25],
    ['1.500', 1500],
    ['1.500.000', 1_500_000],
    ['1,5', 1.5],
    ['2,75', 2.75],
    ['1.5', 1.5],
    ['0.500', 0.5],
    ['1.500,25', 1500.25],
    ['1,500.25', 1500.25],
    ['1,500,000', 1_500_000],
    ['30 KK', 30],
    ['50%', 50],
    [' -3 ', -3],
  ])('%s -> %s', (input, expected) => {
    expect(parseLocalNumber(input)).toBe(expected);
  });

  it.each(['', 'dua puluh', '3 atau 4', '1.50.0', '12,', 'sekitar 30', '1.5.2'])('refuses %j', (input) => {
    expect(parseLocalNumber(input)).toBeUndefined();
  });
});

describe('parseDateInput', () => {
  const today = { year: 2024, month: 9, day: 20 };
  it.each([
    ['17-09-2024', '2024-09-17'],
    ['17/9/24', '2024-09-17'],
    ['17.09.2024', '2024-09-17'],
    ['17 9 2024', '2024-09-17'],
    ['17 September 2024', '2024-09-17'],
    ['17 sept 2024', '2024-09-17'],
    ['17 Sep 24', '2024-09-17'],
    ['1 agt 2023', '2023-08-01'],
    ['5 Mei 2024', '2024-05-05'],
    ['tgl 3 okt 2023', '2023-10-03'],
    ['2024-09-01', '2024-09-01'],
    ['hari ini', '2024-09-20'],
    ['Hari Ini', '2024-09-20'],
    ['kemarin', '2024-09-19'],
    ['3 hari lalu', '2024-09-17'],
    ['17 agustus', '2024-08-17'],
  ])('%s -> %s', (input, iso) => {
    expect(parseDateInput(input, today)?.iso).toBe(iso);
  });

  it('puts a year-less future date in last year when the past is expected', () => {
    expect(parseDateInput('25 desember', today, true)?.iso).toBe('2023-12-25');
    expect(parseDateInput('25 desember', today, false)?.iso).toBe('2024-12-25');
  });

  it.each(['31-02-2024', '17-13-2024', 'besok lusa', '17 bulan 2024', 'lusa', '2024'])('refuses %j', (input) => {
    expect(parseDateInput(input, today)).toBeUndefined();
  });
});

describe('matchChoice with the real village list', () => {
  const items = sourceItems('villages', context());
  const name = (text: string): string | undefined => matchChoice(text, items)?.label;

  it('matches spelling variants and small typos', () => {
    expect(name('Tubir Masiwang')).toBe('Tubir Wasiwang');
    expect(name('tubir wasiwan')).toBe('Tubir Wasiwang');
    expect(name('Solan')).toBe('Solang');
    expect(name('kota siri')).toBe('Kota Sirih');
    expect(name('KOTASIRIH')).toBe('Kota Sirih');
    expect(name('Rukuruku')).toBe('Ruku Ruku');
    expect(name('Kilkodaa')).toBe('Kilkoda');
    expect(name('Belis')).toBe('Bellis');
  });

  it('takes an exact name over a longer one that starts the same', () => {
    expect(name('Miran')).toBe('Miran');
  });

  it('refuses what is ambiguous or unknown', () => {
    expect(name('Ambon')).toBeUndefined();
    expect(name('Miran K')).toBeUndefined(); // Kilian or Keledar
  });

  it('takes the number shown', () => {
    expect(name('3')).toBe(items[2]!.label);
  });
});

/** Small pure helpers: command words, Indonesian numbers, dates, choice matching. */
import { describe, expect, it } from 'vitest';
import { matchChoice, normalizeCommandWord, parseDateInput, parseLocalNumber, parseYesNo } from '../../src/engine/index.js';
import { matchChoices, sourceItems } from '../../src/engine/choices.js';
import { readDate } from '../../src/engine/dates.js';
import { isNumberWord, parseNumberWords } from '../../src/engine/numbers.js';
import { skipReasonOf } from '../../src/engine/text.js';
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

  it.each([
    ['sekitar 20', 20],
    ['± 20', 20],
    ['+- 20', 20],
    ['20an', 20],
    ['20-an', 20],
    ['kurang lebih 20', 20],
    ['kira-kira 30 KK', 30],
    ['20 lebih', 20],
    ['dua', 2],
    ['dua puluh', 20],
    ['dua puluh lima', 25],
    ['sebelas', 11],
    ['tujuh belas', 17],
    ['seratus', 100],
    ['seratus dua puluh', 120],
    ['tiga ribu lima ratus', 3500],
    ['dua puluh KK', 20],
    ['twenty five', 25],
  ])('understands %j as %s', (input, expected) => {
    expect(parseLocalNumber(input)).toBe(expected);
  });

  it.each(['', '3 atau 4', 'tiga atau empat', 'dua tiga', '1.50.0', '12,', '1.5.2', 'banyak', 'puluhan'])('refuses %j', (input) => {
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

  it.each([
    ['besok', '2024-09-21'],
    ['lusa', '2024-09-22'],
    ['senin kemarin', '2024-09-16'], // 2024-09-20 is a Friday
    ['senin lalu', '2024-09-16'],
    ['hari minggu lalu', '2024-09-15'],
    ['jumat lalu', '2024-09-13'], // "lalu" on the same weekday is a week ago
    ["jum'at", '2024-09-20'],
    ['minggu lalu', '2024-09-13'], // last week
    ['seminggu yang lalu', '2024-09-13'],
    ['2 minggu lalu', '2024-09-06'],
    ['tgl 5', '2024-09-05'],
    ['tanggal 25', '2024-08-25'], // not in the future: last month
    ['5/11', '2023-11-05'], // not in the future: last year
  ])('%s -> %s (past expected)', (input, iso) => {
    expect(parseDateInput(input, today, true)?.iso).toBe(iso);
  });

  it('tells a date that does not exist from one not understood', () => {
    expect(readDate('31-02-2026', today)).toEqual({ kind: 'invalid' });
    expect(readDate('30 februari', today)).toEqual({ kind: 'invalid' });
    expect(readDate('tgl 31', today)).toEqual({ kind: 'invalid' }); // September has 30 days
    expect(readDate('kapan ya', today)).toEqual({ kind: 'unknown' });
  });

  it.each(['31-02-2024', '17-13-2024', '17 bulan 2024', '2024', 'besok pagi'])('refuses %j', (input) => {
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

describe('matchChoices (several at once)', () => {
  const items = ['Listrik', 'Air bersih', 'Sinyal HP', 'Pasar', 'Dermaga'].map((label, i) => ({ id: `c${i + 1}`, label, data: {} }));
  const ids = (text: string): string[] | string[][] => {
    const r = matchChoices(text, items);
    return r.unknown.length > 0 ? [r.unknown] : r.items.map((i) => i.id);
  };

  it.each([
    ['1 2 dan 5', ['c1', 'c2', 'c5']],
    ['1, 2 & 5', ['c1', 'c2', 'c5']],
    ['1,3', ['c1', 'c3']],
    ['satu dan tiga', ['c1', 'c3']],
    ['dua tiga', ['c2', 'c3']],
    ['1, 1 dan 3', ['c1', 'c3']],
    ['listrik dan pasar', ['c1', 'c4']],
    ['pasar, 4', ['c4']],
    ['listrik serta air bersih', ['c1', 'c2']],
  ])('%j -> %j', (text, expected) => {
    expect(ids(text)).toEqual(expected);
  });

  it('names what it could not match', () => {
    expect(ids('1 dan kapal')).toEqual([['kapal']]);
  });
});

describe('matchChoice: a choice typed as its word', () => {
  const severity = ['Ringan (rugi sedikit)', 'Sedang (banyak yang rugi)', 'Berat / parah (rumah rusak)'].map((label, i) => ({ id: `s${i}`, label, data: {} }));
  it.each([
    ['dua', 's1'],
    ['sedang', 's1'],
    ['parah', 's2'],
    ['tiga', 's2'],
  ])('%j -> %s', (text, id) => {
    expect(matchChoice(text, severity)?.id).toBe(id);
  });

  it('a word in two labels is not a guess', () => {
    expect(matchChoice('rugi', severity)).toBeUndefined();
  });

  it('a label that is a number word wins over the position', () => {
    const items = ['Satu', 'Dua', 'Tiga'].map((label, i) => ({ id: `n${i}`, label, data: {} }));
    expect(matchChoice('tiga', items)?.id).toBe('n2');
    // Where labels are number words, a number word is never taken as a position ("satu" is not "Dua").
    expect(matchChoice('satu', items.slice(1))).toBeUndefined();
  });
});

describe('readTime (a time of day as people type it)', () => {
  it.each([
    ['9', '09:00'], ['09.00', '09:00'], ['13.30', '13:30'], ['13:30', '13:30'], ['jam 9', '09:00'], ['pukul 14.00 WIT', '14:00'],
    ['jam 2 siang', '14:00'], ['4 sore', '16:00'], ['7 malam', '19:00'], ['7 pagi', '07:00'], ['12 siang', '12:00'], ['0', '00:00'],
    ['24', null], ['13.75', null], ['13,3', null], ['besok', null], ['', null],
  ])('%s -> %s', async (input, expected) => {
    const { readTime } = await import('../../src/engine/questions/time.js');
    expect(readTime(input)).toBe(expected);
  });
});

describe('words every object has are no numbers, dates or skip reasons (issue 20)', () => {
  const names = Object.getOwnPropertyNames(Object.prototype);
  const today = { year: 2026, month: 11, day: 27 };
  it.each(names.flatMap((n) => [n, n.toLowerCase(), `5 ${n} 2026`, `${n} lalu`, `hari ${n}`]))('%s', (text) => {
    expect(parseLocalNumber(text)).toBeUndefined();
    expect(parseNumberWords(text)).toBeUndefined();
    expect(isNumberWord(text)).toBe(false);
    expect(readDate(text, today).kind).not.toBe('ok');
    expect(skipReasonOf(text)).toBeUndefined();
  });
});

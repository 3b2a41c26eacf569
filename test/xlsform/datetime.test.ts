/** The datetime question (XLSForm dateTime): a date and a time as people type them, in one message or two. */
import { describe, expect, it } from 'vitest';
import { readDateTime } from '../../src/engine/questions/datetime.js';
import { compile, EngineChat, importSpec, translator } from './helpers.js';

const today = { year: 2026, month: 11, day: 27 }; // a Friday

describe('reading a date and a time', () => {
  it.each([
    ['besok jam 9', { date: '2026-11-28', time: '09:00' }],
    ['Besok pagi jam 9', { date: '2026-11-28', time: '09:00' }],
    ['besok jam 2 siang', { date: '2026-11-28', time: '14:00' }],
    ['kemarin sore jam 4', { date: '2026-11-26', time: '16:00' }],
    ['17-09-2024 13.30', { date: '2024-09-17', time: '13:30' }],
    ['17/9/2024, pukul 07:15 WIT', { date: '2024-09-17', time: '07:15' }],
    ['17 September 2024 jam 8 malam', { date: '2024-09-17', time: '20:00' }],
    ['tomorrow at 9', { date: '2026-11-28', time: '09:00' }],
    ['jam 9', { time: '09:00' }],
    ['17.09.2024', { date: '2024-09-17' }],
    ['hari ini', { date: '2026-11-27' }],
    ['31-02-2024 jam 9', { invalid: true }],
    ['entah kapan', {}],
  ])('%s', (text, expected) => {
    expect(readDateTime(text, { today })).toEqual(expected);
  });
});

describe('a datetime question in chat', () => {
  async function chat(lang: 'id' | 'en' = 'id') {
    const result = await importSpec({ survey: [['type', 'name', 'label::Bahasa Indonesia (id)', 'label::English (en)', 'required'], ['dateTime', 'kapan', 'Kapan rapat desa?', 'When is the village meeting?', 'yes']] });
    return new EngineChat(compile(result), await translator({ [result.id]: result.texts }, lang)).start();
  }

  it('takes "besok jam 9" in one answer, stored as the instant (UTC) and shown in Jayapura time', async () => {
    const c = await chat();
    expect(c.prompt.text).toContain('Tulis tanggal dan jam, contoh: 28-11-2026 jam 09.00, atau BESOK JAM 9.');
    c.say('besok jam 9');
    expect(c.prompt.text).toContain('Kapan rapat desa?: 28 November 2026 09.00');
    c.press('Kirim');
    expect(c.submitted).toEqual({ kapan: '2026-11-28T00:00:00.000Z' });
  });

  it('a date alone asks the time of that day; a wrong time is said and asked again', async () => {
    const c = await chat();
    c.say('senin');
    expect(c.prompt.text).toContain('Tanggal 23 November 2026. Jam berapa?');
    c.say('jam 25');
    expect(c.text).toContain('Jam tidak terbaca');
    expect(c.prompt.text).toContain('Tanggal 23 November 2026. Jam berapa?');
    c.say('10.15');
    c.press('Kirim');
    expect(c.submitted).toEqual({ kapan: '2026-11-23T01:15:00.000Z' });
  });

  it('refuses a date that does not exist, and words it cannot read', async () => {
    const c = await chat('en');
    c.say('31-02-2026 9.00');
    expect(c.text).toContain("That date doesn't exist.");
    c.say('sometime');
    expect(c.text).toContain('The date and time could not be read.');
    c.say('tomorrow at 7 in the evening');
    c.press('Send');
    expect(c.submitted).toEqual({ kapan: '2026-11-28T10:00:00.000Z' });
  });
});

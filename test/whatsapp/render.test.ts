/** Rendering within WhatsApp's limits: buttons, lists, numbered text, shortened labels, ways out. */
import { describe, expect, it } from 'vitest';
import { DONE_ID, SKIP_ID } from '../../src/engine/index.js';
import { decodeChoiceId, renderMessage, WA_LIMITS, type GraphMessage } from '../../src/channels/whatsapp/render.js';
import type { OutboundMessage } from '../../src/messages/index.js';

const prompt = (choices: { id: string; label: string; description?: string }[], extra: Partial<OutboundMessage['prompt']> = {}): OutboundMessage => ({
  text: `Pertanyaan?\n${choices.map((c, i) => `${i + 1}. ${c.label}`).join('\n')}\nBalas dengan nomor pilihan.`,
  choices,
  promptSeq: 7,
  expect: 'choice',
  prompt: { question: 'Pertanyaan?', hint: 'Balas dengan nomor pilihan.', choices, waysOut: { back: true, cancel: true, skip: false }, expect: 'choice', ...extra },
});
const items = (n: number, label = (i: number) => `Pilihan ${i}`) => Array.from({ length: n }, (_, i) => ({ id: `c${i + 1}`, label: label(i + 1) }));
const interactive = (m: GraphMessage) => (m.type === 'interactive' ? (m.interactive as { type: string; body: { text: string }; action: Record<string, unknown> }) : null);
const buttonsOf = (m: GraphMessage) => (interactive(m)!.action.buttons as { reply: { id: string; title: string } }[]).map((b) => b.reply);
const rowsOf = (m: GraphMessage) => (interactive(m)!.action.sections as { rows: { id: string; title: string; description?: string }[] }[]).flatMap((s) => s.rows);

describe('rendering a prompt for WhatsApp', () => {
  it('up to three choices are reply buttons carrying the prompt number', () => {
    const [m] = renderMessage(prompt(items(3)));
    expect(interactive(m!)?.type).toBe('button');
    expect(buttonsOf(m!).map((b) => b.title)).toEqual(['Pilihan 1', 'Pilihan 2', 'Pilihan 3']);
    expect(decodeChoiceId(buttonsOf(m!)[0]!.id)).toEqual({ promptSeq: 7, choiceId: 'c1' });
  });

  it('four to ten are a list; LEWATI and KEMBALI only take rows that are left', () => {
    const ten = renderMessage(prompt([...items(10), { id: SKIP_ID, label: 'Lewati' }]))[0]!;
    expect(interactive(ten)?.type).toBe('list');
    expect(rowsOf(ten)).toHaveLength(10);
    expect(rowsOf(ten).map((r) => r.title)).not.toContain('Lewati');
    const five = renderMessage(prompt([...items(5), { id: SKIP_ID, label: 'Lewati' }]))[0]!;
    expect(rowsOf(five).map((r) => r.title)).toEqual(['Pilihan 1', 'Pilihan 2', 'Pilihan 3', 'Pilihan 4', 'Pilihan 5', 'Lewati', '↩ Kembali']);
    const three = renderMessage(prompt([...items(3), { id: SKIP_ID, label: 'Lewati' }]))[0]!;
    expect(buttonsOf(three).map((b) => b.title)).toEqual(['Pilihan 1', 'Pilihan 2', 'Pilihan 3']);
  });

  it('says what to tap instead of "reply with the number" (typing still works), and keeps it in the numbered text', () => {
    expect(interactive(renderMessage(prompt(items(3)))[0]!)!.body.text).toBe('Pertanyaan?\n\nTekan salah satu tombol.');
    expect(interactive(renderMessage(prompt(items(5)))[0]!)!.body.text).toBe('Pertanyaan?\n\nTekan Pilih, lalu pilih jawaban Anda.');
    expect((renderMessage(prompt(items(11)))[0] as { text: { body: string } }).text.body).toContain('Balas dengan nomor pilihan.');
  });

  it('more than ten are the numbered text, answered by number or name', () => {
    const out = renderMessage(prompt(items(12)));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ type: 'text' });
    expect((out[0] as { text: { body: string } }).text.body).toContain('12. Pilihan 12');
  });

  it('shortens long labels within every limit, the whole label in the description or the body', () => {
    const long = (i: number) => `Pilihan yang sangat panjang sekali nomor ${i} dengan keterangan tambahan yang jauh melewati batas deskripsi`;
    const list = renderMessage(prompt(items(6, long)))[0]!;
    for (const r of rowsOf(list)) {
      expect([...r.title].length).toBeLessThanOrEqual(WA_LIMITS.rowTitle);
      expect([...(r.description ?? '')].length).toBeLessThanOrEqual(WA_LIMITS.rowDescription);
      if (r.id.startsWith('c:')) expect(r.title.endsWith('…')).toBe(true);
    }
    const same = (i: number) => `Kelompok tani dan nelayan ${i}`;
    const buttons = renderMessage(prompt(items(3, same)))[0]!;
    const titles = buttonsOf(buttons).map((b) => b.title);
    expect(new Set(titles).size).toBe(3);
    for (const t of titles) expect([...t].length).toBeLessThanOrEqual(WA_LIMITS.buttonTitle);
    expect(interactive(buttons)!.body.text).toContain('Kelompok tani dan nelayan 3');
  });

  it('a body over a limit goes first as text; the question stays with its buttons', () => {
    const heading = 'Periksa jawaban Anda:\n' + Array.from({ length: 60 }, (_, i) => `Jawaban ${i}: ${'x'.repeat(40)}`).join('\n');
    const out = renderMessage(prompt(items(2), { heading }));
    expect(out.length).toBeGreaterThan(1);
    const last = out.at(-1)!;
    expect(interactive(last)?.type).toBe('button');
    expect([...interactive(last)!.body.text].length).toBeLessThanOrEqual(WA_LIMITS.buttonBody);
    expect(interactive(last)!.body.text).toContain('Pertanyaan?');
    for (const m of out.slice(0, -1)) expect([...(m as { text: { body: string } }).text.body].length).toBeLessThanOrEqual(WA_LIMITS.text);
    // The question keeps its hint and the whole of a shortened label.
    const long = renderMessage(prompt(items(2, (i) => `Kirim sekarang juga ke fasilitator ${i}`), { heading }));
    expect(interactive(long.at(-1)!)!.body.text).toBe('Pertanyaan?\n\nTekan salah satu tombol.\n\nPilihan:\n• Kirim sekarang juga ke fasilitator 1\n• Kirim sekarang juga ke fasilitator 2');
    // Without a structure (a menu), the text is cut at line ends and the last part goes with the buttons.
    const menu = renderMessage({ text: Array.from({ length: 80 }, (_, i) => `Baris ${i} ${'y'.repeat(20)}`).join('\n'), choices: items(2), promptSeq: 1 });
    expect(menu.length).toBe(2);
    expect([...interactive(menu[1]!)!.body.text].length).toBeLessThanOrEqual(WA_LIMITS.buttonBody);
    expect(interactive(menu[1]!)!.body.text).toContain('Baris 79');
  });

  it('a multiple choice comes as a list with the chosen rows marked and Selesai last', () => {
    const choices = [...items(5), { id: DONE_ID, label: 'Selesai' }, { id: SKIP_ID, label: 'Lewati' }];
    const m: OutboundMessage = { ...prompt(choices, { multiple: { selected: ['c2'] } }), multiple: { selected: ['c2'] } };
    const rows = rowsOf(renderMessage(m)[0]!);
    expect(rows.map((r) => r.title)).toEqual(['Pilihan 1', '✅ Pilihan 2', 'Pilihan 3', 'Pilihan 4', 'Pilihan 5', 'Selesai', 'Lewati', '↩ Kembali']);
  });

  it('a location question is a location request; text is split at 4096', () => {
    const loc = renderMessage({ text: 'Kirim lokasi. Ketik LEWATI kalau tidak bisa.', expect: 'location', choices: [{ id: SKIP_ID, label: 'Lewati' }] })[0]!;
    expect(interactive(loc)).toMatchObject({ type: 'location_request_message', action: { name: 'send_location' } });
    const parts = renderMessage({ text: 'kata '.repeat(2000) });
    expect(parts).toHaveLength(3);
    for (const p of parts) expect([...(p as { text: { body: string } }).text.body].length).toBeLessThanOrEqual(4096);
  });
});

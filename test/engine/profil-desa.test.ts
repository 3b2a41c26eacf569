/** Village profile: notes, a repeat group, skip logic on the group's answers, multi choices. */
import { describe, expect, it } from 'vitest';
import { Chat, flow } from './helpers.js';

const profil = await flow('profil-desa');

/** Counts the questions a person can be asked (group children counted once). */
function questionCount(): number {
  return profil.questions.reduce((n, q) => n + (q.type === 'note' ? 0 : q.type === 'group' ? q.questions.length : 1), 0);
}

function fillSources(chat: Chat, sources: [string, string, string][]): void {
  sources.forEach(([source, season, share], i) => {
    if (i > 0) chat.answer('more', 'ya');
    chat.answer('source', source);
    chat.answer('season', season);
    chat.answer('share', share);
  });
  chat.answer('more', 'tidak');
}

describe('profil-desa', () => {
  it('has 12-16 short questions over the five assets', () => {
    expect(questionCount()).toBeGreaterThanOrEqual(12);
    expect(questionCount()).toBeLessThanOrEqual(18);
  });

  it('a fishing village: two livelihoods, boats asked, groups toggled by buttons', () => {
    const chat = new Chat(profil);
    expect(chat.last.messages).toHaveLength(2);
    expect(chat.last.messages[0]).toEqual({ text: expect.stringContaining('Ada sekitar 15 pertanyaan'), expect: 'none' });
    chat.answer('households', '320');
    chat.answer('school', 'SD');
    chat.answer('health', 'posyandu');
    expect(chat.text).toMatch(/^Mata pencaharian ke-1:\n\nWarga hidup dari apa\?/);
    chat.answer('source', 'ikan');
    chat.answer('season', '2');
    chat.answer('share', 'hampir semua');
    expect(chat.at).toBe('more');
    expect(chat.text).toBe('Ada mata pencaharian lain di desa?\nBalas YA atau TIDAK.');
    chat.press('yes');
    expect(chat.text).toMatch(/^Mata pencaharian ke-2:/);
    chat.answer('source', 'pala');
    chat.answer('season', 'musim panen');
    chat.answer('share', 'banyak');
    chat.answer('more', 'tidak');
    chat.answer('land', 'sedikit');
    expect(chat.at).toBe('boats');
    chat.answer('boats', '85');
    chat.answer('road', 'hanya lewat laut');
    chat.answer('services', 'listrik, sinyal');
    chat.answer('savings_group', 'tidak');
    chat.answer('buyer', '1');
    const seq = chat.state.promptSeq;
    chat.press('kelompok_nelayan');
    expect(chat.state.promptSeq).toBe(seq); // toggles keep the same buttons valid
    expect(chat.message.multiple).toEqual({ selected: ['kelompok_nelayan'] });
    chat.press('adat');
    expect(chat.text).toContain('Sudah dipilih: Kelompok nelayan, Lembaga adat');
    expect(chat.text).toContain('2. Kelompok nelayan ✓');
    chat.press('__done');
    chat.answer('mutual_help', 'sering');
    chat.answer('hard_season', 'musim angin');
    chat.answer('opportunity', 'Olah pala jadi minyak');
    expect(chat.at).toBe('summary');
    expect(chat.text).toContain('Mata pencaharian:\n  1) Ikan (nelayan), Musim teduh (laut tenang), Hampir semua\n  2) Pala, Hanya musim panen, Banyak');
    chat.press('send');
    expect(chat.submitted).toEqual({
      households: 320,
      school: 'sd',
      health: 'posyandu',
      sources: [
        { source: 'perikanan', season: 'musim_teduh', share: 'hampir_semua' },
        { source: 'pala', season: 'musim_panen', share: 'banyak' },
      ],
      land: 'sedikit',
      boats: 85,
      road: 'laut',
      services: ['listrik', 'sinyal'],
      savings_group: false,
      buyer: 'pengumpul_desa',
      groups: ['kelompok_nelayan', 'adat'],
      mutual_help: 'sering',
      hard_season: 'musim_angin',
      opportunity: 'Olah pala jadi minyak',
    });
  });

  it('a farming village is not asked about boats', () => {
    const chat = new Chat(profil);
    chat.answer('households', 'lewati');
    chat.answer('school', '2');
    chat.answer('health', '4');
    fillSources(chat, [['cengkeh', 'musim panen', 'banyak']]);
    chat.answer('land', 'banyak');
    expect(chat.at).toBe('road');
  });

  it('changing the livelihoods from the summary answers the group again', () => {
    const chat = new Chat(profil);
    chat.answer('households', '100');
    chat.answer('school', '2');
    chat.answer('health', '4');
    fillSources(chat, [['perikanan', '1', '1'], ['kopra', '1', '1']]);
    chat.answer('land', '1');
    chat.answer('boats', '10');
    for (const [id, v] of [['road', '1'], ['services', 'lewati'], ['savings_group', 'ya'], ['buyer', '1'], ['groups', 'lewati'], ['mutual_help', '1'], ['hard_season', '1'], ['opportunity', 'lewati']] as const) {
      chat.answer(id, v);
    }
    chat.press('change');
    chat.answer('change', 'mata pencaharian');
    expect(chat.text).toMatch(/^Mata pencaharian ke-1:/);
    fillSources(chat, [['sagu', '1', '2']]);
    // Fishing is gone, so the boats answer is dropped; nothing else is asked again.
    expect(chat.at).toBe('summary');
    expect(chat.text).not.toContain('Perahu');
    chat.press('send');
    expect(chat.submitted!.sources).toEqual([{ source: 'sagu', season: 'sepanjang_tahun', share: 'setengah' }]);
    expect(chat.submitted).not.toHaveProperty('boats');
  });

  it('stops offering another item at maxRepeats', () => {
    const chat = new Chat(profil);
    chat.answer('households', '100');
    chat.answer('school', '2');
    chat.answer('health', '4');
    const six = ['1', '2', '3', '4', '5', '6'].map((n) => [n, '1', '1'] as [string, string, string]);
    six.forEach(([source, season, share], i) => {
      if (i > 0) chat.answer('more', 'ya');
      chat.answer('source', source);
      chat.answer('season', season);
      chat.answer('share', share);
    });
    expect(chat.at).toBe('land');
  });

  it('back moves through the group: out of its first item, and into "add another?"', () => {
    const chat = new Chat(profil);
    chat.answer('households', '100');
    chat.answer('school', '2');
    chat.answer('health', '4');
    chat.answer('source', '1');
    chat.back();
    expect(chat.at).toBe('source');
    chat.back();
    expect(chat.at).toBe('health');
    chat.answer('health', '4');
    chat.answer('source', '1');
    chat.answer('season', '1');
    chat.answer('share', '1');
    chat.answer('more', 'ya');
    chat.answer('source', '2');
    chat.back();
    expect(chat.at).toBe('source');
    chat.back();
    expect(chat.at).toBe('more');
    chat.answer('more', 'tidak');
    expect(chat.at).toBe('land');
    chat.answer('land', '1');
    chat.answer('boats', 'lewati');
    for (const [id, v] of [['road', '1'], ['services', 'lewati'], ['savings_group', 'ya'], ['buyer', '1'], ['groups', 'lewati'], ['mutual_help', '1'], ['hard_season', '1'], ['opportunity', 'lewati']] as const) {
      chat.answer(id, v);
    }
    chat.press('send');
    expect(chat.submitted!.sources).toEqual([{ source: 'perikanan', season: 'sepanjang_tahun', share: 'sedikit' }]);
  });
});

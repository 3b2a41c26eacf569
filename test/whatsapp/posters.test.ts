/** `npm run qr`: a printable poster per village with the Telegram and WhatsApp codes, and the DAFTAR link. */
import { randomUUID } from 'node:crypto';
import { readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main as qrMain, parseVillages, qrFileName } from '../../scripts/qr.js';
import { whatsappDeepLink } from '../../src/channels/whatsapp/deep-link.js';
import { parseGlobalCommand } from '../../src/conversation/commands.js';
import { projectRoot } from '../../src/paths.js';
import { startFakeTelegram } from '../fakes/telegram-bot-api.js';
import { startFakeWhatsApp } from '../fakes/whatsapp-graph-api.js';

// Inside the repository (test-artifacts/ is ignored by git), removed afterwards.
const dir = join(projectRoot, 'test-artifacts', `qr-${randomUUID().slice(0, 8)}`);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('WhatsApp poster links', () => {
  it('wa.me with DAFTAR and the village payload, which starts registration with the village', () => {
    const url = whatsappDeepLink('+62 811-0000-0000', '81_05_15_2004');
    expect(url).toBe('https://wa.me/6281100000000?text=DAFTAR%2081_05_15_2004');
    const typed = decodeURIComponent(new URL(url).searchParams.get('text')!);
    expect(parseGlobalCommand(typed)).toEqual({ name: 'start', payload: '81_05_15_2004' });
    expect(parseGlobalCommand('daftar 81.05.15.2004')).toEqual({ name: 'start', payload: '81_05_15_2004' });
    expect(parseGlobalCommand('daftar')).toBeNull();
    expect(() => whatsappDeepLink('12', '81_05')).toThrow();
  });
});

describe('scripts/qr', () => {
  it('parses quoted CSV and makes safe file names', () => {
    expect(parseVillages('\uFEFFKode,Nama\r\n"81.05.15.2006","Nama Lena, ""Namalena"""\r\n', 'csv')).toEqual([{ kode: '81.05.15.2006', nama: 'Nama Lena, "Namalena"' }]);
    expect(() => parseVillages('code,name\n1,x\n', 'csv')).toThrow('kode and nama');
    const v = parseVillages('kode,nama,kecamatan_kode,kecamatan,kabupaten,alias\n81.05.11.2003,Kota Sirih,81.05.11,Gorom Timur,Seram Bagian Timur,Kotasiri;Kotasirih\n', 'csv');
    expect(v).toEqual([{ kode: '81.05.11.2003', nama: 'Kota Sirih' }]);
    expect(qrFileName(v[0]!)).toBe('81.05.11.2003-Kota-Sirih.html');
  });

  it('writes a poster per village with both codes side by side, the name and three lines, and one file with all', async () => {
    const tg = await startFakeTelegram({ token: '555:qr-token', bot: { username: 'DesaQrBot' } });
    const wa = await startFakeWhatsApp({ token: 'wa-token', phoneNumberId: '1065' });
    try {
      await mkdir(dir, { recursive: true });
      const list = join(dir, 'v.json');
      await writeFile(list, JSON.stringify([{ kode: '81.05.15.2004', nama: 'Solang' }, { code: '81.05.09.2001', name: 'Pulau Panjang' }]));
      const logs: string[] = [];
      const orig = console.log;
      console.log = (m: string) => logs.push(m);
      try {
        await qrMain([list, '--out', join(dir, 'out')], {
          TELEGRAM_BOT_TOKEN: '555:qr-token', TELEGRAM_API_ROOT: tg.apiRoot,
          WHATSAPP_ACCESS_TOKEN: 'wa-token', WHATSAPP_PHONE_NUMBER_ID: '1065', WHATSAPP_API_BASE_URL: wa.baseUrl,
        });
      } finally {
        console.log = orig;
      }
      expect(logs[0]).toMatch(/2 posters for Telegram @DesaQrBot and WhatsApp \+6281100000000/);
      const files = (await readdir(join(dir, 'out'))).sort();
      expect(files).toEqual(['81.05.09.2001-Pulau-Panjang.html', '81.05.15.2004-Solang.html', 'semua-poster.html']);
      const html = await readFile(join(dir, 'out', '81.05.15.2004-Solang.html'), 'utf8');
      expect(html).toContain('Desa Solang');
      expect(html.match(/<svg/g)).toHaveLength(2);
      expect(html).toContain('Telegram');
      expect(html).toContain('WhatsApp');
      expect(html).toContain('DAFTAR 81_05_15_2004');
      expect(html.match(/<li>/g)).toHaveLength(3);
      expect(html).toContain('@page{size:A4');
      const all = await readFile(join(dir, 'out', 'semua-poster.html'), 'utf8');
      expect(all.match(/class="poster"/g)).toHaveLength(2);
    } finally {
      await tg.close();
      await wa.close();
    }
  });
});

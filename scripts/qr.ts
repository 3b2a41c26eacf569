/**
 * `npm run qr [-- <villages.csv|json>] [--out <dir>] [--whatsapp <number>]`: a printable poster
 * per village (A4, one HTML page each, printed from the browser) with the village name, the
 * Telegram and WhatsApp QR codes side by side, and three short lines in Indonesian on how to start
 * and what the bot is for; plus `semua-poster.html` with every poster, one per printed page.
 *
 * Telegram: `https://t.me/<bot>?start=<village code with _ for .>` (bot username from
 * TELEGRAM_BOT_USERNAME, else getMe with TELEGRAM_BOT_TOKEN against TELEGRAM_API_ROOT).
 * WhatsApp: `https://wa.me/<number>?text=DAFTAR%20<payload>` (number from --whatsapp, else the
 * display number of WHATSAPP_PHONE_NUMBER_ID asked of the Graph API with WHATSAPP_ACCESS_TOKEN).
 * Either may be missing; at least one is needed. Scanning opens the chat with the village chosen.
 *
 * Villages: the file given, else data/villages-sbt.csv, else data-seed/villages-sbt.csv
 * (CSV columns kode,nama,kecamatan_kode,kecamatan,kabupaten,alias; or JSON: an array of
 * objects with kode/nama or code/name).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import dotenv from 'dotenv';
import { Api } from 'grammy';
import QRCode from 'qrcode';
import { parse as parseCsv } from 'csv-parse/sync';
import { encodeVillagePayload, telegramDeepLink } from '../src/channels/telegram/deep-link.js';
import { createGraphClient } from '../src/channels/whatsapp/graph.js';
import { whatsappDeepLink } from '../src/channels/whatsapp/deep-link.js';
import { createI18n, translatorFor, type Translate } from '../src/i18n.js';
import { projectRoot } from '../src/paths.js';

export interface VillageRow {
  kode: string;
  nama: string;
}

export function parseVillages(text: string, format: 'csv' | 'json'): VillageRow[] {
  if (format === 'json') {
    const data = JSON.parse(text) as unknown;
    if (!Array.isArray(data)) throw new Error('The villages JSON must be an array');
    return data.map((v: Record<string, unknown>) => ({ kode: String(v.kode ?? v.code ?? ''), nama: String(v.nama ?? v.name ?? '') }));
  }
  const rows = parseCsv(text, { columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), bom: true, trim: true, skip_empty_lines: true }) as Record<string, string>[];
  if (rows.length > 0 && (!('kode' in rows[0]!) || !('nama' in rows[0]!))) throw new Error('The villages CSV needs the columns kode and nama');
  return rows.map((r) => ({ kode: r.kode ?? '', nama: r.nama ?? '' })).filter((v) => v.kode !== '');
}

/** `81.05.15.2004`, `Nama Lena` -> `81.05.15.2004-Nama-Lena.html` (safe on every file system). */
export function qrFileName(v: VillageRow, ext = 'html'): string {
  const name = v.nama.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return `${v.kode}${name ? `-${name}` : ''}.${ext}`;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface PosterLinks {
  /** Telegram bot username (without @). */
  telegramBot?: string;
  /** WhatsApp number in international form (digits). */
  whatsappNumber?: string;
}

const POSTER_CSS = `@page{size:A4;margin:14mm}*{box-sizing:border-box}body{margin:0;font-family:system-ui,"Noto Sans",Arial,sans-serif;color:#111}
.poster{height:269mm;display:flex;flex-direction:column;align-items:center;justify-content:space-between;text-align:center;page-break-after:always;break-after:page;padding:4mm 0}
.poster:last-child{page-break-after:auto;break-after:auto}h1{font-size:30pt;margin:0}h2{font-size:40pt;margin:2mm 0 0}
.codes{display:flex;gap:12mm;justify-content:center;width:100%}.code{flex:1;max-width:85mm;border:1.5mm solid #111;border-radius:6mm;padding:5mm}
.code svg{width:100%;height:auto;display:block}.code h3{font-size:24pt;margin:0 0 2mm}.code p{font-size:12pt;margin:2mm 0 0;overflow-wrap:break-word}
ol{font-size:17pt;text-align:left;max-width:170mm;line-height:1.35;margin:0;padding-left:9mm}
@media screen{body{background:#ddd}.poster{background:#fff;width:210mm;margin:8mm auto;padding:14mm;height:297mm}}`;

/** One village's poster as an HTML fragment: village name, the codes side by side, three lines. */
export async function posterSection(v: VillageRow, links: PosterLinks, t: Translate): Promise<string> {
  const payload = encodeVillagePayload(v.kode);
  const qr = (url: string) => QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
  const codes: string[] = [];
  if (links.telegramBot) {
    const url = telegramDeepLink(links.telegramBot, payload);
    codes.push(`<div class="code"><h3>${esc(t('poster:telegram'))}</h3>${await qr(url)}<p>${esc(t('poster:telegramHint', { bot: links.telegramBot }))}</p></div>`);
  }
  if (links.whatsappNumber) {
    const url = whatsappDeepLink(links.whatsappNumber, payload);
    codes.push(`<div class="code"><h3>${esc(t('poster:whatsapp'))}</h3>${await qr(url)}<p>${esc(t('poster:whatsappHint', { code: payload, number: `+${links.whatsappNumber}` }))}</p></div>`);
  }
  const lines = ['scan', 'purpose', 'free'].map((k) => `<li>${esc(t(`poster:lines.${k}`))}</li>`).join('');
  return `<section class="poster"><header><h1>${esc(t('poster:title'))}</h1><h2>${esc(t('poster:village', { name: v.nama }))}</h2></header><div class="codes">${codes.join('')}</div><ol>${lines}</ol></section>`;
}

const page = (title: string, body: string) =>
  `<!doctype html><html lang="id"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${POSTER_CSS}</style></head><body>${body}</body></html>\n`;

/** Writes `<kode>-<nama>.html` per village and `semua-poster.html` with all of them. */
export async function writeVillagePosters(villages: VillageRow[], links: PosterLinks, outDir: string, language = 'id'): Promise<{ file: string }[]> {
  if (!links.telegramBot && !links.whatsappNumber) throw new Error('No chat to point at: set TELEGRAM_BOT_USERNAME (or TELEGRAM_BOT_TOKEN) and/or pass --whatsapp <number>');
  await mkdir(outDir, { recursive: true });
  const t = translatorFor(await createI18n(), language);
  const written: { file: string }[] = [];
  const sections: string[] = [];
  for (const v of villages) {
    const section = await posterSection(v, links, t);
    sections.push(section);
    const file = join(outDir, qrFileName(v));
    await writeFile(file, page(`${t('poster:title')} - ${v.nama}`, section));
    written.push({ file });
  }
  await writeFile(join(outDir, 'semua-poster.html'), page(t('poster:title'), sections.join('\n')));
  return written;
}

async function botUsername(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const configured = env.TELEGRAM_BOT_USERNAME?.trim();
  if (configured) return configured.replace(/^@/, '');
  const token = env.TELEGRAM_BOT_TOKEN?.trim();
  if (!token) return undefined;
  const apiRoot = env.TELEGRAM_API_ROOT?.trim();
  const api = new Api(token, apiRoot ? { apiRoot: apiRoot.replace(/\/+$/, '') } : undefined);
  const me = await api.getMe();
  if (!me.username) throw new Error('getMe returned no username');
  return me.username;
}

/** The WhatsApp number: --whatsapp, else the display number of WHATSAPP_PHONE_NUMBER_ID from the Graph API. */
async function whatsappNumber(flag: string | undefined, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (flag) return flag.replace(/[\s+()-]/g, '');
  const token = env.WHATSAPP_ACCESS_TOKEN?.trim();
  const id = env.WHATSAPP_PHONE_NUMBER_ID?.trim();
  if (!token || !id) return undefined;
  const graph = createGraphClient({ baseUrl: env.WHATSAPP_API_BASE_URL?.trim() || 'https://graph.facebook.com', apiVersion: env.WHATSAPP_API_VERSION?.trim() || 'v23.0', accessToken: token });
  const phone = await graph.get<{ display_phone_number?: string }>(`${id}?fields=display_phone_number`);
  if (!phone.display_phone_number) throw new Error('The Graph API gave no display_phone_number');
  return phone.display_phone_number.replace(/\D/g, '');
}

function villagesFile(arg: string | undefined): string {
  if (arg) return resolve(arg);
  for (const candidate of [join(projectRoot, 'data', 'villages-sbt.csv'), join(projectRoot, 'data-seed', 'villages-sbt.csv')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('No villages list: pass a CSV/JSON file, or put one at data/villages-sbt.csv');
}

export async function main(argv = process.argv.slice(2), env = process.env): Promise<void> {
  const flag = (name: string) => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const outDir = flag('--out') ? resolve(flag('--out')!) : join(projectRoot, 'qr');
  const positional = argv.filter((a, i) => !a.startsWith('--') && !['--out', '--whatsapp'].includes(argv[i - 1] ?? ''));
  const file = villagesFile(positional[0]);
  const villages = parseVillages(await readFile(file, 'utf8'), extname(file).toLowerCase() === '.json' ? 'json' : 'csv');
  const links: PosterLinks = {};
  const bot = await botUsername(env);
  if (bot) links.telegramBot = bot;
  const number = await whatsappNumber(flag('--whatsapp'), env);
  if (number) links.whatsappNumber = number;
  const written = await writeVillagePosters(villages, links, outDir);
  const on = [bot ? `Telegram @${bot}` : null, number ? `WhatsApp +${number}` : null].filter(Boolean).join(' and ');
  console.log(`${written.length} posters for ${on} written to ${outDir} (from ${file}); print semua-poster.html for all of them`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  dotenv.config({ quiet: true });
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}

/**
 * `npm run qr [-- <villages.csv|json>] [--out <dir>]`: one QR code per village, pointing at the
 * Telegram deep link `https://t.me/<bot>?start=<village code with _ for .>`, written to
 * `qr/<kode>-<nama>.png`. Scanning it opens the bot with the village already chosen.
 *
 * Villages: the file given, else data/villages-sbt.csv, else data-seed/villages-sbt.csv
 * (CSV columns kode,nama,kecamatan_kode,kecamatan,kabupaten,alias; or JSON: an array of
 * objects with kode/nama or code/name). Bot username: TELEGRAM_BOT_USERNAME, else getMe with
 * TELEGRAM_BOT_TOKEN (against TELEGRAM_API_ROOT when set).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import dotenv from 'dotenv';
import { Api } from 'grammy';
import QRCode from 'qrcode';
import { parse as parseCsv } from 'csv-parse/sync';
import { encodeVillagePayload, telegramDeepLink } from '../src/channels/telegram/deep-link.js';
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

/** `81.05.15.2004`, `Nama Lena` -> `81.05.15.2004-Nama-Lena.png` (safe on every file system). */
export function qrFileName(v: VillageRow): string {
  const name = v.nama.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return `${v.kode}${name ? `-${name}` : ''}.png`;
}

export async function writeVillageQrCodes(villages: VillageRow[], botUsername: string, outDir: string): Promise<{ file: string; url: string }[]> {
  await mkdir(outDir, { recursive: true });
  const written: { file: string; url: string }[] = [];
  for (const v of villages) {
    const url = telegramDeepLink(botUsername, encodeVillagePayload(v.kode));
    const file = join(outDir, qrFileName(v));
    await QRCode.toFile(file, url, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 600 });
    written.push({ file, url });
  }
  return written;
}

async function botUsername(env: NodeJS.ProcessEnv): Promise<string> {
  const configured = env.TELEGRAM_BOT_USERNAME?.trim();
  if (configured) return configured.replace(/^@/, '');
  const token = env.TELEGRAM_BOT_TOKEN?.trim();
  if (!token) throw new Error('Set TELEGRAM_BOT_USERNAME (or TELEGRAM_BOT_TOKEN to ask Telegram for it)');
  const apiRoot = env.TELEGRAM_API_ROOT?.trim();
  const api = new Api(token, apiRoot ? { apiRoot: apiRoot.replace(/\/+$/, '') } : undefined);
  const me = await api.getMe();
  if (!me.username) throw new Error('getMe returned no username');
  return me.username;
}

function villagesFile(arg: string | undefined): string {
  if (arg) return resolve(arg);
  for (const candidate of [join(projectRoot, 'data', 'villages-sbt.csv'), join(projectRoot, 'data-seed', 'villages-sbt.csv')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('No villages list: pass a CSV/JSON file, or put one at data/villages-sbt.csv');
}

export async function main(argv = process.argv.slice(2), env = process.env): Promise<void> {
  const outAt = argv.indexOf('--out');
  const outDir = outAt >= 0 && argv[outAt + 1] ? resolve(argv[outAt + 1]!) : join(projectRoot, 'qr');
  const positional = argv.filter((a, i) => a !== '--out' && argv[i - 1] !== '--out');
  const file = villagesFile(positional[0]);
  const villages = parseVillages(await readFile(file, 'utf8'), extname(file).toLowerCase() === '.json' ? 'json' : 'csv');
  const username = await botUsername(env);
  const written = await writeVillageQrCodes(villages, username, outDir);
  console.log(`${written.length} QR codes for @${username} written to ${outDir} (from ${file})`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  dotenv.config({ quiet: true });
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}

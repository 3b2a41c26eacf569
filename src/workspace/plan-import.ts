/**
 * Plan import from the template the project ships (templates/rencana-desa.csv / .xlsx):
 * one row per goal, challenge or activity. Every row is checked; any error and nothing
 * changes, and the answer lists the errors by row. Activities already in the plan (same
 * title) keep their id, so progress reports still point at them.
 */
import { parse } from 'csv-parse/sync';
import type ExcelJS from 'exceljs';
import { excelJs } from '../heavy-modules.js';
import type { i18n as I18n } from 'i18next';
import { planOf } from '../db/repositories/plans.js';
import type { Actor } from './access.js';
import { WorkspaceError } from './errors.js';
import { putPlan, type PlanView } from './service.js';
import { calendarDay, calendarDayOf, formatCalendarDay } from '../time/calendar.js';

export const TEMPLATE_COLUMNS = ['jenis', 'judul', 'penanggung_jawab', 'target', 'status', 'persen'] as const;

const KINDS: Record<string, 'goal' | 'challenge' | 'activity'> = {
  tujuan: 'goal', goal: 'goal', tantangan: 'challenge', kendala: 'challenge', challenge: 'challenge', kegiatan: 'activity', activity: 'activity',
};

const STATUSES = ['belum', 'berjalan', 'selesai', 'terhambat'] as const;
type Status = (typeof STATUSES)[number];

/** How people write a status: the ids, the labels the workspace and the chat show (id, en), and common words. */
function statusWords(i18n: I18n): Map<string, Status> {
  const words = new Map<string, Status>();
  const norm = (w: string) => w.trim().toLowerCase().replace(/\s+/g, ' ');
  for (const s of STATUSES) {
    words.set(s, s);
    for (const lang of ['id', 'en']) {
      words.set(norm(i18n.t(`workspace:activity.${s}`, { lng: lang })), s);
      words.set(norm(i18n.t(`kemajuan-kegiatan:status.choices.${s}`, { lng: lang })), s);
    }
  }
  for (const [w, s] of [['sedang jalan', 'berjalan'], ['jalan', 'berjalan'], ['sudah selesai', 'selesai'], ['macet', 'terhambat'], ['belum jalan', 'belum']] as const) words.set(w, s);
  return words;
}

interface PlanRow { jenis: string; judul: string; penanggung_jawab: string; target: string; status: Status | ''; persen: number | '' }

/** 30/08/2026, 30-08-2026, 30.08.2026 (day first, as in Indonesia) or 2026-08-30 -> 2026-08-30; null when not a real date. */
export function parsePlanDate(text: string): string | null {
  const t = text.trim();
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t);
  const dayFirst = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(t);
  const [y, mo, d] = iso ? [iso[1], iso[2], iso[3]] : dayFirst ? [dayFirst[3], dayFirst[2], dayFirst[1]] : [];
  if (!y) return null;
  const day = calendarDay(Number(y), Number(mo), Number(d));
  return day ? formatCalendarDay(day) : null;
}

/** "50%", "50", "50,5 %", 50 -> 50 (rounded); null when not a number. A cell formatted as percent arrives as "50%". */
export function parsePercent(text: string): number | null {
  const m = /^(\d+(?:[.,]\d+)?)\s*%?$/.exec(text.trim());
  return m ? Math.round(Number(m[1]!.replace(',', '.'))) : null;
}

function parseRow(raw: Record<string, string>, words: Map<string, Status>, t: (key: string, o?: Record<string, unknown>) => string): { row?: PlanRow; errors: { column: string; message: string }[] } {
  const errors: { column: string; message: string }[] = [];
  const get = (c: string) => (raw[c] ?? '').trim();
  const jenis = get('jenis').toLowerCase();
  if (!Object.hasOwn(KINDS, jenis)) errors.push({ column: 'jenis', message: t('plan_import.kind', { value: get('jenis') }) });
  const judul = get('judul');
  if (!judul) errors.push({ column: 'judul', message: t('plan_import.title_empty') });
  else if (judul.length > 300) errors.push({ column: 'judul', message: t('plan_import.title_long') });
  const owner = get('penanggung_jawab');
  if (owner.length > 120) errors.push({ column: 'penanggung_jawab', message: t('plan_import.owner_long') });
  const targetText = get('target');
  const target = targetText ? parsePlanDate(targetText) : '';
  if (target === null) errors.push({ column: 'target', message: t('plan_import.date', { value: targetText }) });
  const statusText = get('status').toLowerCase().replace(/\s+/g, ' ');
  const status = statusText ? words.get(statusText) : '';
  if (status === undefined) errors.push({ column: 'status', message: t('plan_import.status', { value: get('status') }) });
  const percentText = get('persen');
  const persen = percentText ? parsePercent(percentText) : '';
  if (persen === null || (typeof persen === 'number' && persen > 100)) errors.push({ column: 'persen', message: t('plan_import.percent', { value: percentText }) });
  if (errors.length) return { errors };
  return { row: { jenis, judul, penanggung_jawab: owner, target: target ?? '', status: status ?? '', persen: persen ?? '' }, errors };
}

export interface RowError { row: number; column: string; message: string }

function cellText(v: ExcelJS.CellValue, numFmt?: string): string {
  if (v === null || v === undefined) return '';
  // A date cell holds the calendar day at UTC midnight (spreadsheets have no zones).
  if (v instanceof Date) return calendarDayOf(v);
  // A cell formatted as percent holds 0.5 for 50%.
  if (typeof v === 'number' && numFmt?.includes('%')) return `${Math.round(v * 10000) / 100}%`;
  if (typeof v === 'object') {
    if ('text' in v && typeof v.text === 'string') return v.text;
    if ('result' in v) return cellText(v.result as ExcelJS.CellValue);
    if ('richText' in v) return v.richText.map((r) => r.text).join('');
  }
  return String(v);
}

export async function readPlanRows(file: Buffer, contentType: string): Promise<Record<string, string>[]> {
  if (contentType.includes('csv') || contentType.startsWith('text/')) {
    const text = file.toString('utf8').replace(/^\uFEFF/, '');
    const delimiter = (text.split('\n')[0] ?? '').includes(';') ? ';' : ',';
    return parse(text, { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), skip_empty_lines: true, delimiter, relax_column_count: true }) as Record<string, string>[];
  }
  const wb = new (excelJs().Workbook)();
  try {
    await wb.xlsx.load(file as unknown as ArrayBuffer);
  } catch {
    throw new WorkspaceError(400, 'bad_file', 'The file is not a readable XLSX workbook.');
  }
  const ws = wb.worksheets[0];
  if (!ws) return [];
  const header: string[] = [];
  ws.getRow(1).eachCell({ includeEmpty: true }, (cell, col) => { header[col] = cellText(cell.value).trim().toLowerCase(); });
  const rows: Record<string, string>[] = [];
  for (let r = 2; r <= ws.rowCount; r++) {
    const row: Record<string, string> = {};
    let any = false;
    ws.getRow(r).eachCell({ includeEmpty: true }, (cell, col) => {
      const h = header[col];
      if (!h) return;
      row[h] = cellText(cell.value, cell.numFmt).trim();
      if (row[h]) any = true;
    });
    if (any) rows.push(row);
  }
  return rows;
}

/**
 * Reads what Indonesian spreadsheets hold: dates 30/08/2026, 15-10-2026 or date cells;
 * percent as "50%", 50 or a 0.5 cell formatted as percent; a status by its id or its label
 * ("Sedang berjalan"), in any case. Errors are in the person's language (`lang`).
 */
export async function importPlanFile(actor: Actor, code: string, year: number, file: Buffer, contentType: string, i18n: I18n, lang: 'id' | 'en'): Promise<PlanView & { imported: number }> {
  const t = i18n.getFixedT(lang, 'workspace') as unknown as (key: string, o?: Record<string, unknown>) => string;
  const rows = await readPlanRows(file, contentType);
  const errors: RowError[] = [];
  if (rows.length === 0) errors.push({ row: 1, column: '', message: t('plan_import.empty') });
  const missing = rows[0] ? ['jenis', 'judul'].filter((c) => !(c in rows[0]!)) : [];
  for (const c of missing) errors.push({ row: 1, column: c, message: t('plan_import.missing_column', { column: c }) });
  const parsed: PlanRow[] = [];
  const words = statusWords(i18n);
  rows.forEach((raw, i) => {
    const r = parseRow(raw, words, t);
    for (const e of r.errors) errors.push({ row: i + 2, ...e });
    if (r.row) parsed.push(r.row);
  });
  if (errors.length) throw new WorkspaceError(400, 'import_errors', t('plan_import.failed', { count: errors.length }), { errors });

  const existing = await planOf(code, year);
  const byTitle = <T extends { _id: unknown; title: string }>(list: T[] | undefined, title: string) =>
    list?.find((x) => x.title.trim().toLowerCase() === title.trim().toLowerCase());
  const goals = parsed.filter((r) => KINDS[r.jenis] === 'goal').map((r) => ({ id: idOf(byTitle(existing?.goals, r.judul)), title: r.judul }));
  const challenges = parsed.filter((r) => KINDS[r.jenis] === 'challenge').map((r) => ({ id: idOf(byTitle(existing?.challenges, r.judul)), title: r.judul }));
  const activities = parsed.filter((r) => KINDS[r.jenis] === 'activity').map((r) => ({
    id: idOf(byTitle(existing?.activities, r.judul)),
    title: r.judul,
    owner: r.penanggung_jawab || null,
    targetDate: r.target || null,
    ...(r.status ? { status: r.status } : {}),
    ...(r.persen !== '' ? { percentDone: r.persen } : {}),
  }));
  // Items of the current plan missing from the file are kept: a file adds and updates, never deletes.
  const keepMissing = <T extends { _id: unknown; title: string }>(list: T[] | undefined, sent: { title: string }[]) =>
    (list ?? []).filter((x) => !sent.some((s) => s.title.trim().toLowerCase() === x.title.trim().toLowerCase()));
  const plan = await putPlan(actor, code, year, {
    goals: [...keepMissing(existing?.goals, goals).map((g) => ({ id: String(g._id), title: g.title })), ...goals],
    challenges: [...keepMissing(existing?.challenges, challenges).map((g) => ({ id: String(g._id), title: g.title })), ...challenges],
    activities: [
      ...keepMissing(existing?.activities, activities).map((a) => ({ id: String(a._id), title: a.title })),
      ...activities,
    ],
  });
  return { ...plan, imported: parsed.length };
}

function idOf(x: { _id: unknown } | undefined): string | undefined {
  return x ? String(x._id) : undefined;
}

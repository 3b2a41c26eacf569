/**
 * Plan import from the template the project ships (templates/rencana-desa.csv / .xlsx):
 * one row per goal, challenge or activity. Every row is checked; any error and nothing
 * changes, and the answer lists the errors by row. Activities already in the plan (same
 * title) keep their id, so progress reports still point at them.
 */
import { parse } from 'csv-parse/sync';
import type ExcelJS from 'exceljs';
import { excelJs } from '../heavy-modules.js';
import { z } from 'zod';
import { VillagePlanModel } from '../db/models.js';
import type { Actor } from './access.js';
import { WorkspaceError } from './errors.js';
import { putPlan, type PlanView } from './service.js';

export const TEMPLATE_COLUMNS = ['jenis', 'judul', 'penanggung_jawab', 'target', 'status', 'persen'] as const;

const KINDS: Record<string, 'goal' | 'challenge' | 'activity'> = {
  tujuan: 'goal', goal: 'goal', tantangan: 'challenge', kendala: 'challenge', challenge: 'challenge', kegiatan: 'activity', activity: 'activity',
};

const rowSchema = z.object({
  jenis: z.string().trim().toLowerCase().refine((k) => Object.hasOwn(KINDS, k), 'jenis harus tujuan, tantangan atau kegiatan'),
  judul: z.string().trim().min(1, 'judul kosong').max(300, 'judul terlalu panjang (paling banyak 300 huruf)'),
  penanggung_jawab: z.string().trim().max(120).optional().default(''),
  target: z.union([z.literal(''), z.iso.date('target harus tanggal YYYY-MM-DD')]).optional().default(''),
  status: z.union([z.literal(''), z.enum(['belum', 'berjalan', 'selesai', 'terhambat'], 'status harus belum, berjalan, selesai atau terhambat')]).optional().default(''),
  persen: z.union([z.literal(''), z.coerce.number().int('persen harus angka bulat').min(0).max(100, 'persen 0 sampai 100')]).optional().default(''),
});

export interface RowError { row: number; column: string; message: string }

function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
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
      row[h] = cellText(cell.value).trim();
      if (row[h]) any = true;
    });
    if (any) rows.push(row);
  }
  return rows;
}

export async function importPlanFile(actor: Actor, code: string, year: number, file: Buffer, contentType: string): Promise<PlanView & { imported: number }> {
  const rows = await readPlanRows(file, contentType);
  const errors: RowError[] = [];
  if (rows.length === 0) errors.push({ row: 1, column: '', message: 'Berkas kosong atau tanpa baris data.' });
  const missing = rows[0] ? ['jenis', 'judul'].filter((c) => !(c in rows[0]!)) : [];
  for (const c of missing) errors.push({ row: 1, column: c, message: `Kolom "${c}" tidak ada.` });
  const parsed: z.infer<typeof rowSchema>[] = [];
  rows.forEach((raw, i) => {
    const r = rowSchema.safeParse(raw);
    if (!r.success) {
      for (const issue of r.error.issues) errors.push({ row: i + 2, column: String(issue.path[0] ?? ''), message: issue.message });
    } else parsed.push(r.data);
  });
  if (errors.length) throw new WorkspaceError(400, 'import_errors', `${errors.length} error(s) in the file; nothing was changed.`, { errors });

  const existing = await VillagePlanModel.findOne({ villageCode: code, year }).lean();
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

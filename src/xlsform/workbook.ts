/** Reading an XLSForm workbook (exceljs): sheets as rows of normalised columns, with row numbers. */
import type ExcelJS from 'exceljs';
import { excelJs } from '../heavy-modules.js';
import { calendarDayOf } from '../time/calendar.js';

export interface SheetRow {
  /** The row number Excel shows. */
  row: number;
  cells: Record<string, string>;
}

export interface Sheet {
  /** Normalised column names in sheet order. */
  columns: string[];
  rows: SheetRow[];
}

export class XlsFormError extends Error {
  constructor(readonly problems: string[]) {
    super(`XLSForm refused:\n${problems.join('\n')}`);
    this.name = 'XlsFormError';
  }
}

/** Runs a command's body: an XLSForm problem list is printed one per line with exit code 1. */
export async function runCommand(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof XlsFormError) {
      for (const p of err.problems) console.error(p);
      return 1;
    }
    throw err;
  }
}

/** An old Excel (.xls, OLE2) file starts with D0 CF 11 E0. */
export function isOldExcel(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0xd0 && data[1] === 0xcf && data[2] === 0x11 && data[3] === 0xe0;
}

/**
 * "label:English" -> "label::english", "list name" -> "list_name", "constraint message" ->
 * "constraint_message": the spellings of old pyxform forms and of the current XLSForm spec.
 */
export function normaliseColumn(header: string): string {
  const h = header.trim().replace(/\s+/g, ' ');
  const m = /^([^:]+?)\s*::?\s*(.+)$/.exec(h);
  const base = (m ? m[1]! : h).toLowerCase().replace(/ /g, '_');
  return m ? `${base}::${m[2]!.toLowerCase()}` : base;
}

export function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return calendarDayOf(value);
  if (typeof value === 'object') {
    if ('richText' in value) return value.richText.map((r) => r.text).join('').trim();
    if ('result' in value && value.result !== undefined) return cellText(value.result as ExcelJS.CellValue);
    // A formula saved without its value: TRUE() and FALSE() are known without Excel.
    if ('formula' in value) return /^(TRUE|FALSE)\(\)$/i.test(String(value.formula)) ? String(value.formula).slice(0, -2).toLowerCase() : '';
    if ('text' in value) return String(value.text).trim();
    if ('error' in value) return '';
  }
  return String(value as unknown).trim();
}

function readSheet(ws: ExcelJS.Worksheet): Sheet {
  const header = ws.getRow(1);
  const columns: { index: number; name: string }[] = [];
  header.eachCell({ includeEmpty: false }, (cell, col) => {
    const name = cellText(cell.value);
    if (name !== '') columns.push({ index: col, name: normaliseColumn(name) });
  });
  const rows: SheetRow[] = [];
  ws.eachRow({ includeEmpty: false }, (r, n) => {
    if (n === 1) return;
    const cells: Record<string, string> = {};
    let any = false;
    for (const c of columns) {
      const v = cellText(r.getCell(c.index).value);
      if (v !== '') {
        cells[c.name] = v;
        any = true;
      }
    }
    if (any) rows.push({ row: n, cells });
  });
  return { columns: columns.map((c) => c.name), rows };
}

export interface XlsFormSheets {
  survey: Sheet;
  choices: Sheet;
  settings: Sheet;
  /** The choices of select_one_external questions, when the form has them. */
  externalChoices?: Sheet;
}

/** Reads the survey, choices, settings and external_choices sheets (case-insensitive names; all but survey optional). */
export async function readWorkbook(data: Uint8Array, fileName: string): Promise<XlsFormSheets> {
  if (isOldExcel(data) || /\.xls$/i.test(fileName)) {
    throw new XlsFormError([`${fileName}: this is an old Excel (.xls) file: open it in Excel or LibreOffice, save it as .xlsx and import that`]);
  }
  const wb = new (excelJs().Workbook)();
  try {
    await wb.xlsx.load(data as unknown as ExcelJS.Buffer);
  } catch (err) {
    throw new XlsFormError([`${fileName}: not a readable .xlsx file (${(err as Error).message.split('\n')[0]})`]);
  }
  const find = (name: string): ExcelJS.Worksheet | undefined => wb.worksheets.find((w) => w.name.trim().toLowerCase() === name);
  const survey = find('survey');
  if (!survey) throw new XlsFormError([`${fileName}: no "survey" sheet (sheets: ${wb.worksheets.map((w) => w.name).join(', ') || 'none'})`]);
  const empty: Sheet = { columns: [], rows: [] };
  const choices = find('choices');
  const settings = find('settings');
  const external = find('external_choices');
  return {
    survey: readSheet(survey),
    choices: choices ? readSheet(choices) : empty,
    settings: settings ? readSheet(settings) : empty,
    ...(external ? { externalChoices: readSheet(external) } : {}),
  };
}

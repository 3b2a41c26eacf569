/**
 * Exports of a flow's submissions as CSV and XLSX, streamed from a MongoDB cursor straight to
 * the response (csv-stringify; exceljs's streaming WorkbookWriter), so 100,000 rows need
 * neither a long wait for the first byte nor the memory to hold them.
 *
 * One column per question with labels in the chosen language (a location adds latitude and
 * longitude columns). Repeat groups: in CSV one extra row per item (column "baris"/"row"
 * names the group and item), in XLSX one extra sheet per group. Reporters are pseudonyms
 * (a keyed hash of the member id, stable across exports) unless an admin asks for names.
 *
 * No cell can become a formula (OWASP "CSV Injection", ASVS 1.2.10): every text cell that
 * starts with = + - @, a tab, a carriage return or a NUL (or their full-width forms) gets a
 * leading ' in both formats, whoever typed it (answers, place names, reporter names), and CSV
 * text fields are always quoted. Numbers stay numbers, so -3.9 is still a number; XLSX cells
 * are written as plain strings, never formulas.
 */
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { excelJs } from '../heavy-modules.js';
import type { i18n as I18n } from 'i18next';
import type { Types } from 'mongoose';
import { exportLookups, memberNames, pseudonymKey, submissionsInOrder } from '../db/repositories/exports.js';
export { pseudonymKey } from '../db/repositories/exports.js';
import type { Flow, GroupQuestion, LeafQuestion } from '../engine/index.js';
import { formatLocalIso, formatLocalStamp, wallClockDate, zoneName } from '../time/index.js';
import { isVoiceAnswer } from '../engine/types.js';
import { flowTranslator, formatAnswer, groupQuestions, leafQuestions, voiceText, type Lang, type Lookups, type Translate } from './labels.js';

export interface ExportOptions {
  flow: Flow;
  /** A MongoDB filter already limited to what the person may see (villages, dates). */
  filter: Record<string, unknown>;
  lang: Lang;
  names: boolean;
  /** 'labels' (default): titles and values in words, to read; 'kode': question ids and machine values (KoBo's "XML values"). */
  values?: 'labels' | 'kode';
  i18n: I18n;
  /** The programme's zone (config TIMEZONE): times are written as its wall clock. */
  timeZone: string;
  /** The workspace's public address: voice notes get a link to play them (signed-in, with the village check). */
  linkBase?: string;
}

export function pseudonym(key: string, memberId: string): string {
  return `W-${createHmac('sha256', key).update(memberId).digest('hex').slice(0, 10)}`;
}

type Row = (string | number | Date | null)[];

const FORMULA_START = /^[=+\-@\t\r\0\uFF1D\uFF0B\uFF0D\uFF20]/;

/** A text cell a spreadsheet would read as a formula, made inert with a leading quote; other values as they are. */
export function inertCell<T>(value: T): T | string {
  return typeof value === 'string' && FORMULA_START.test(value) ? `'${value}` : value;
}

const inertRow = (row: Row): Row => row.map(inertCell);

interface Layout {
  t: Translate;
  /** The workspace's words (column titles, status and channel labels). */
  w: Translate;
  lookups: Lookups;
  leaves: LeafQuestion[];
  groups: GroupQuestion[];
  /** The data in words (titles, labels, local times) or as codes (ids, machine values, ISO times). */
  kode: boolean;
  baseHeader: string[];
  questionHeader: string[];
  groupHeaders: Map<string, string[]>;
  rowHeader: string;
  itemHeader: string;
  /** Where links point ("" for links relative to the workspace). */
  linkBase: string;
}

/** The machine names of the fixed columns (the `kode` view and the analysts' scripts). */
const BASE = ['submission_id', 'submitted_at', 'village_code', 'village', 'reporter', 'channel', 'entered_for', 'review_status'] as const;
const BASE_TITLES = ['id', 'at', 'code', 'village', 'reporter', 'channel', 'proxy', 'status'] as const;

const childLeaves = (g: GroupQuestion) => g.questions.filter((c): c is LeafQuestion => c.type !== 'note');

async function layout(opts: ExportOptions): Promise<Layout> {
  const t = flowTranslator(opts.i18n, opts.flow, opts.lang);
  const w = flowTranslator(opts.i18n, undefined, opts.lang);
  const kode = opts.values === 'kode';
  const lookups: Lookups = await exportLookups();
  const leaves = leafQuestions(opts.flow);
  const groups = groupQuestions(opts.flow);
  const questionHeader = leaves.flatMap((q) => {
    const label = kode ? q.id : t(q.label);
    if (takesVoice(q)) return [label, kode ? `${q.id}_audio_url` : w('export.columns.voice_link', { label })];
    if (q.type !== 'location') return [label];
    return kode ? [label, `${label}_lat`, `${label}_lon`] : [label, `${label} (lat)`, `${label} (lon)`];
  });
  const groupHeaders = new Map(groups.map((g) => [g.id, childLeaves(g).map((c) => (kode ? `${g.id}/${c.id}` : `${t(g.label)}: ${t(c.label)}`))]));
  const zone = zoneName(opts.timeZone);
  const baseHeader = kode ? [...BASE] : BASE_TITLES.map((k) => w(`export.columns.${k}`, { zone }));
  return {
    t, w, lookups, leaves, groups, kode, baseHeader, questionHeader, groupHeaders,
    rowHeader: kode ? 'row' : w('export.columns.row'), itemHeader: kode ? 'item' : w('export.columns.item'), linkBase: (opts.linkBase ?? '').replace(/\/+$/, ''),
  };
}

interface Doc {
  _id: Types.ObjectId; memberId: Types.ObjectId | null; villageCode?: string | null; submittedAt: Date; channel: string;
  answers: Record<string, unknown>; review?: { status?: string }; proxy?: { forName?: string } | null;
}

/** An answer as machine values: choice ids (several joined by a space, as KoBo does), yes/no, numbers, text. */
function codeValue(value: unknown): string | number | null {
  if (value === undefined || value === null || value === '') return '';
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.map(String).join(' ');
  const photo = value as { mediaId?: string; fileId?: string; caption?: string };
  return photo.mediaId ?? photo.fileId ?? JSON.stringify(value);
}

/** Questions a voice note may answer: a second column holds the link to play it. */
const takesVoice = (q: LeafQuestion): boolean => q.type === 'audio' || (q.type === 'text' && q.voice === true);

/** The answer (the transcript, in words: "[pesan suara 0:23] ...") and the link to the voice note. */
function voiceCells(reportId: string, q: LeafQuestion, value: unknown, l: Layout, lang: Lang): (string | number | null)[] {
  if (!isVoiceAnswer(value)) return [...leafCells(q, value, l, lang), ''];
  const link = value.mediaId ? `${l.linkBase}/app/laporan/${reportId}/suara/${q.id}` : '';
  return [l.kode ? (value.transcript ?? '') : voiceText(value, lang), link];
}

function leafCells(q: LeafQuestion, value: unknown, l: Layout, lang: Lang): (string | number | null)[] {
  if (q.type === 'location') {
    const v = (value ?? {}) as { latitude?: number; longitude?: number; name?: string };
    return [v.name ?? (value && !l.kode ? formatAnswer(q, value, l.t, l.lookups, lang) : ''), typeof v.latitude === 'number' ? v.latitude : null, typeof v.longitude === 'number' ? v.longitude : null];
  }
  if ((q.type === 'integer' || q.type === 'decimal') && typeof value === 'number') return [value];
  return [l.kode ? codeValue(value) : formatAnswer(q, value, l.t, l.lookups, lang)];
}

/** Reads the submissions in batches, resolving reporter names (admins) or pseudonyms. */
async function* rows(opts: ExportOptions, l: Layout): AsyncGenerator<{ doc: Doc; base: Row; answers: Row }> {
  const key = await pseudonymKey();
  const cursor = submissionsInOrder<Doc>(opts.filter);
  let batch: Doc[] = [];
  const risk = opts.flow.id === 'laporan-risiko';
  const flush = async function* (docs: Doc[]) {
    const names = opts.names ? await memberNames(docs.map((d) => d.memberId).filter((m) => m !== null)) : new Map<string, string>();
    for (const doc of docs) {
      // A reporter who deleted their data has no member id any more: the report stays, without them.
      const memberId = doc.memberId ? String(doc.memberId) : '';
      const reporter = !memberId ? '' : opts.names ? (names.get(memberId) ?? pseudonym(key, memberId)) : pseudonym(key, memberId);
      const proxyFor = doc.proxy?.forName ? (opts.names ? doc.proxy.forName : pseudonym(key, `proxy:${doc.proxy.forName}:${memberId}`)) : '';
      const status = risk ? (doc.review?.status ?? 'baru') : '';
      const base: Row = [
        String(doc._id), doc.submittedAt, doc.villageCode ?? '', l.lookups.villages.get(doc.villageCode ?? '') ?? '', reporter,
        l.kode ? doc.channel : l.w(`export.channels.${doc.channel}`, { defaultValue: doc.channel }), proxyFor,
        l.kode || !status ? status : l.w(`status.${status}`, { defaultValue: status }),
      ];
      const answers = l.leaves.flatMap((q) => (takesVoice(q) ? voiceCells(String(doc._id), q, doc.answers?.[q.id], l, opts.lang) : leafCells(q, doc.answers?.[q.id], l, opts.lang)));
      yield { doc, base, answers };
    }
  };
  for await (const doc of cursor as AsyncIterable<Doc>) {
    batch.push(doc);
    if (batch.length >= 1000) {
      yield* flush(batch);
      batch = [];
    }
  }
  if (batch.length) yield* flush(batch);
}

function groupItems(doc: Doc, g: GroupQuestion): Record<string, unknown>[] {
  const v = doc.answers?.[g.id];
  return Array.isArray(v) ? (v as Record<string, unknown>[]) : [];
}

export async function exportCsv(out: Writable, opts: ExportOptions): Promise<{ rows: number }> {
  const l = await layout(opts);
  const groupCols = l.groups.flatMap((g) => l.groupHeaders.get(g.id) ?? []);
  // Times: "2026-12-08 06:13 WIT" to read; ISO 8601 with the offset as codes.
  const stamp = (c: Row[number]) => (c instanceof Date ? (l.kode ? formatLocalIso(c, opts.timeZone) : formatLocalStamp(c, opts.timeZone)) : c);
  let count = 0;
  async function* lines(): AsyncGenerator<Row> {
    yield [l.rowHeader, ...l.baseHeader, ...l.questionHeader, ...groupCols];
    for await (const { doc, base, answers } of rows(opts, l)) {
      count++;
      yield ['', ...base.map(stamp), ...answers, ...groupCols.map(() => '')];
      let offset = 0;
      for (const g of l.groups) {
        const children = childLeaves(g);
        groupItems(doc, g).forEach((item, i) => {
          const cells = groupCols.map(() => '' as string | number | null);
          children.forEach((c, j) => { cells[offset + j] = leafCells(c, item[c.id], l, opts.lang)[0] ?? ''; });
          // Group rows repeat the submission id, time and village so they can be joined back.
          const head = base.slice(0, 4).map(stamp);
          return void lineBuffer.push([`${g.id}#${i + 1}`, ...head, ...base.slice(4).map(() => ''), ...l.questionHeader.map(() => ''), ...cells]);
        });
        offset += children.length;
      }
      while (lineBuffer.length) yield lineBuffer.shift()!;
    }
  }
  const lineBuffer: Row[] = [];
  await pipeline(Readable.from(lines()), stringify({ bom: true, quoted_string: true, quoted_empty: false, cast: { string: inertCell } }), out);
  return { rows: count };
}

async function drained(out: Writable): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  while (out.writableNeedDrain) await once(out, 'drain');
}

/** Excel's date format; the cell holds the local wall-clock time (spreadsheets have no zones). */
const XLSX_DATE_FORMAT = 'dd/mm/yyyy hh:mm';

type Workbook = InstanceType<ReturnType<typeof excelJs>['stream']['xlsx']['WorkbookWriter']>;
type SheetWriter = ReturnType<Workbook['addWorksheet']>;

/** A row with inert text and instants as real date cells in the programme's zone. */
function addXlsxRow(sheet: SheetWriter, cells: Row, timeZone: string): void {
  const row = sheet.addRow(inertRow(cells.map((c) => (c instanceof Date ? wallClockDate(c, timeZone) : c))));
  cells.forEach((c, i) => {
    if (c instanceof Date) row.getCell(i + 1).numFmt = XLSX_DATE_FORMAT;
  });
  row.commit();
}

/** A sheet with its header in bold, kept in view, and columns as wide as their titles (12 to 40 characters). */
function addSheet(workbook: Workbook, name: string, header: string[]): SheetWriter {
  const sheet = workbook.addWorksheet(name.replace(/[[\]:*?/\\]/g, ' ').slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = header.map((h) => ({ width: Math.min(40, Math.max(12, h.length + 2)) }));
  const row = sheet.addRow(inertRow(header));
  row.font = { bold: true };
  row.commit();
  return sheet;
}

/**
 * The first sheet reads as a facilitator does (titles, labels, local date cells), one sheet
 * per repeat group, and a last sheet "kode" with the same rows as question ids and machine
 * values (KoBo's "XML values and headers") for analysts.
 */
export async function exportXlsx(out: Writable, opts: ExportOptions): Promise<{ rows: number }> {
  const l = await layout({ ...opts, values: 'labels' });
  const workbook = new (excelJs().stream.xlsx.WorkbookWriter)({ stream: out, useSharedStrings: false, useStyles: true });
  const sheet = addSheet(workbook, l.t(opts.flow.title), [...l.baseHeader, ...l.questionHeader]);
  let count = 0;
  for await (const { base, answers } of rows(opts, l)) {
    addXlsxRow(sheet, [...base, ...answers], opts.timeZone);
    if (++count % 500 === 0) await drained(out);
  }
  sheet.commit();
  // Each repeat group on a sheet of its own, read in a second pass so one sheet streams at a time.
  for (const g of l.groups) {
    const gs = addSheet(workbook, l.t(g.label), [l.baseHeader[0]!, l.baseHeader[1]!, l.baseHeader[2]!, l.itemHeader, ...(l.groupHeaders.get(g.id) ?? [])]);
    const children = childLeaves(g);
    let n = 0;
    for await (const { doc, base } of rows(opts, l)) {
      const items = groupItems(doc, g);
      items.forEach((item, i) => {
        addXlsxRow(gs, [base[0] ?? '', base[1] ?? '', base[2] ?? '', i + 1, ...children.map((c) => leafCells(c, item[c.id], l, opts.lang)[0] ?? '')], opts.timeZone);
      });
      if (++n % 500 === 0) await drained(out);
    }
    gs.commit();
  }
  const k = await layout({ ...opts, values: 'kode' });
  const codes = addSheet(workbook, 'kode', [...k.baseHeader, ...k.questionHeader]);
  let n = 0;
  for await (const { base, answers } of rows(opts, k)) {
    addXlsxRow(codes, [...base.map((c) => (c instanceof Date ? formatLocalIso(c, opts.timeZone) : c)), ...answers], opts.timeZone);
    if (++n % 500 === 0) await drained(out);
  }
  codes.commit();
  await workbook.commit();
  return { rows: count };
}

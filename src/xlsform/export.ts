/**
 * A flow -> an XLSForm workbook (survey, choices, settings), so a facilitator can edit it in
 * Excel or KoBo and import it again: import, export, import gives the same flow. Flows written
 * by hand may use what XLSForm cannot say (choices from the database, jexl transforms): those
 * are refused with the question and why.
 */
import type ExcelJS from 'exceljs';
import { excelJs } from '../heavy-modules.js';
import { LANGS, type FlowDoc, type Lang, type Texts } from './import.js';
import { readFlowFiles, type Dirs } from './store.js';
import { XlsFormError } from './workbook.js';
import { ExprError, fromJexl, toXPath } from './xpath.js';

const LANGUAGE_NAMES: Record<Lang, string> = { id: 'Bahasa Indonesia (id)', en: 'English (en)' };
const TYPES: Record<string, string> = { text: 'text', integer: 'integer', decimal: 'decimal', date: 'date', time: 'time', datetime: 'datetime', location: 'geopoint', photo: 'image', audio: 'audio', note: 'note' };

type Q = Record<string, unknown> & { id: string; type: string };

function lookup(texts: Record<string, unknown>, key: string): string | undefined {
  let cur: unknown = texts;
  for (const part of key.split('.')) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return typeof cur === 'string' ? cur : undefined;
}

/** {{answers.x}} / {{group.x}} -> ${x}. */
function toLabel(text: string | undefined): string | undefined {
  return text?.replace(/\{\{\s*(?:answers|group)\.([A-Za-z0-9_]+)\s*\}\}/g, '${$1}');
}

/** Builds the workbook of a flow (its YAML object and texts). Throws XlsFormError for what XLSForm cannot say. */
export function flowToWorkbook(flow: FlowDoc, texts: Texts): ExcelJS.Workbook {
  const problems: string[] = [];
  const fileName = `${flow.id}.yaml`;
  const text = (key: string): Record<Lang, string | undefined> =>
    Object.fromEntries(LANGS.map((l) => [l, toLabel(lookup(texts[l], key))])) as Record<Lang, string | undefined>;
  const xpath = (q: string, field: string, source: unknown): string | undefined => {
    if (source === undefined) return undefined;
    try {
      return toXPath(fromJexl(String(source)));
    } catch (err) {
      if (!(err instanceof ExprError)) throw err;
      problems.push(`${fileName}: ${q}: ${field}: ${err.message}`);
      return undefined;
    }
  };

  const dataColumns = new Set<string>();
  let allowDuplicates = false;
  const surveyRows: Record<string, string | number | undefined>[] = [];
  const choiceRows: Record<string, string | number | undefined>[] = [];
  const withTexts = (row: Record<string, string | number | undefined>, column: string, key: string | undefined): void => {
    if (!key) return;
    const t = text(key);
    for (const l of LANGS) row[`${column}::${LANGUAGE_NAMES[l]}`] = t[l];
  };

  const visit = (q: Q): void => {
    const row: Record<string, string | number | undefined> = { name: q.id };
    const where = q.id;
    row.relevant = xpath(where, 'relevant', q.relevant);
    if (q.type === 'group') {
      row.type = 'begin_repeat';
      withTexts(row, 'label', (q.label as string | undefined) ?? `${q.id}.label`);
      if (q.repeatCount !== undefined) row.repeat_count = typeof q.repeatCount === 'number' ? q.repeatCount : xpath(where, 'repeatCount', q.repeatCount);
      surveyRows.push(row);
      for (const child of (q.questions as Q[]) ?? []) visit(child);
      surveyRows.push({ type: 'end_repeat', name: q.id });
      return;
    }
    if (q.type === 'calculate') {
      surveyRows.push({ type: 'calculate', name: q.id, relevant: row.relevant, calculation: xpath(where, 'calculation', q.calculation) });
      return;
    }
    if (q.type === 'meta') {
      surveyRows.push({ type: String(q.meta), name: q.id });
      return;
    }
    withTexts(row, 'label', (q.prompt as string | undefined) ?? `${q.id}.prompt`);
    if (q.image !== undefined) row['media::image'] = String(q.image);
    if (q.type === 'note') {
      row.type = 'note';
      surveyRows.push(row);
      return;
    }
    for (const unsupported of ['choicesFrom', 'endIf', 'keepAs', 'min', 'max', 'maxLength', 'notFuture', 'maxSelected', 'skipReasons', 'voice']) {
      if (q[unsupported] !== undefined) problems.push(`${fileName}: ${where}: ${unsupported} has no XLSForm equivalent`);
    }
    const choices = q.choices as { id: string; label?: string; data?: Record<string, string | number> }[] | undefined;
    if (choices && new Set(choices.map((c) => c.id)).size < choices.length) allowDuplicates = true;
    if (q.type === 'single' && choices?.length === 1 && choices[0]!.id === 'OK') row.type = 'acknowledge';
    else if (q.type === 'single' || q.type === 'multi') {
      row.type = `${q.type === 'single' ? 'select_one' : 'select_multiple'} ${q.id}`;
      for (const c of choices ?? []) {
        const crow: Record<string, string | number | undefined> = { list_name: q.id, name: c.id };
        withTexts(crow, 'label', c.label ?? `${q.id}.choices.${c.id}`);
        for (const [k, v] of Object.entries(c.data ?? {})) {
          dataColumns.add(k);
          crow[k] = v;
        }
        choiceRows.push(crow);
      }
      row.choice_filter = xpath(where, 'filter', q.filter);
      if (q.randomize) row.parameters = `randomize=true${q.seed === undefined ? '' : ` seed=${typeof q.seed === 'number' ? q.seed : xpath(where, 'seed', q.seed)}`}`;
    } else if (q.type === 'yesno') {
      problems.push(`${fileName}: ${where}: yesno: write it as select_one with yes/no choices`);
    } else if (TYPES[q.type]) row.type = TYPES[q.type];
    else problems.push(`${fileName}: ${where}: type ${q.type} has no XLSForm equivalent`);

    // required: yes, or the expression under which it is.
    if (typeof q.required === 'string') row.required = xpath(where, 'required', q.required);
    else if (q.required ?? (q.type !== 'photo' && q.type !== 'audio')) row.required = 'yes';
    withTexts(row, 'hint', q.hint as string | undefined);
    withTexts(row, 'required_message', q.requiredMessage as string | undefined);
    row.constraint = xpath(where, 'constraint', q.constraint);
    withTexts(row, 'constraint_message', q.constraint ? (q.constraintMessage as string | undefined) : undefined);
    if (q.default !== undefined) row.default = typeof q.default === 'number' ? q.default : String(q.default);
    if (q.defaultFrom !== undefined) row.default = xpath(where, 'defaultFrom', q.defaultFrom);
    surveyRows.push(row);
  };
  for (const q of flow.questions as Q[]) visit(q);
  if (problems.length > 0) throw new XlsFormError(problems);

  const wb = new (excelJs().Workbook)();
  const langCols = (base: string): string[] => LANGS.map((l) => `${base}::${LANGUAGE_NAMES[l]}`);
  const surveyColumns = [
    'type',
    'name',
    ...langCols('label'),
    ...langCols('hint'),
    'required',
    ...langCols('required_message'),
    'relevant',
    'constraint',
    ...langCols('constraint_message'),
    'calculation',
    'default',
    'choice_filter',
    'repeat_count',
    'parameters',
    'media::image',
  ];
  const used = surveyColumns.filter((c) => c === 'type' || c === 'name' || c.startsWith('label::') || surveyRows.some((r) => r[c] !== undefined && r[c] !== ''));
  const sheet = (name: string, columns: string[], rows: Record<string, string | number | undefined>[]): void => {
    const ws = wb.addWorksheet(name);
    ws.addRow(columns);
    ws.getRow(1).font = { bold: true };
    for (const r of rows) ws.addRow(columns.map((c) => r[c] ?? null));
    ws.columns.forEach((col, i) => {
      col.width = Math.min(60, Math.max(10, columns[i]!.length + 2, ...rows.map((r) => String(r[columns[i]!] ?? '').length + 2)));
    });
  };
  sheet('survey', used, surveyRows);
  sheet('choices', ['list_name', 'name', ...langCols('label'), ...dataColumns], choiceRows);
  const title = lookup(texts.id, String(flow.title ?? 'title')) ?? flow.id;
  sheet('settings', ['form_title', 'form_id', 'version', 'default_language', 'roles', ...(allowDuplicates ? ['allow_choice_duplicates'] : [])], [
    { form_title: title, form_id: flow.id, version: flow.version, default_language: LANGUAGE_NAMES.id, roles: ((flow.roles as string[]) ?? []).join(' '), ...(allowDuplicates ? { allow_choice_duplicates: 'yes' } : {}) },
  ]);
  return wb;
}

/** The XLSForm (.xlsx bytes) of flows/<id>.yaml, or of an archived version. */
export async function exportFlow(id: string, dirs: Dirs, version?: number): Promise<Uint8Array> {
  const files = await readFlowFiles(id, dirs, version);
  if (!files) throw new XlsFormError([`${id}: no such flow${version !== undefined ? ` version ${version}` : ''} in ${dirs.flowsDir}`]);
  const wb = flowToWorkbook(files.flow, files.texts);
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

/**
 * Helpers for the XLSForm tests: fixtures read relative to the repository, an i18next instance
 * with the engine's texts and an imported flow's, and a small engine-level conversation driver.
 */
import { cp, mkdir, mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next from 'i18next';
import { stringify } from 'yaml';
import type { OutboundMessage } from '../../src/messages/index.js';
import { expect } from 'vitest';
import { parseFlow, startRun, step, type EngineInput, type Flow, type RunState, type StepContext, type StepResult } from '../../src/engine/index.js';
import { ConversationService } from '../../src/conversation/service.js';
import { loadFlowVersions } from '../../src/engine/versions.js';
import { createI18n } from '../../src/i18n.js';
import { createLogger } from '../../src/logging/logger.js';
import { flowToWorkbook } from '../../src/xlsform/export.js';
import { writeImportedFlow } from '../../src/xlsform/store.js';
import { TestClock } from '../helpers/chat.js';
import { convert, importXlsForm, LANGS, type ImportOptions, type ImportResult, type Texts } from '../../src/xlsform/import.js';
import { readWorkbook } from '../../src/xlsform/workbook.js';
import { buildXlsx, type FormSpec } from '../fixtures/xlsform/forms.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'xlsform');
export const PYXFORM_FORMS = ['text_and_integer.xlsx', 'yes_or_no_question.xlsx', 'loop.xlsx', 'specify_other.xlsx'];

export async function readFixture(name: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path.join(FIXTURES, name)));
}

export async function importSpec(spec: FormSpec, fileName = 'form.xlsx', options: ImportOptions = {}): Promise<ImportResult> {
  return importXlsForm(await buildXlsx(spec), fileName, options);
}

/** The sheets of a spec without going through a file (for quick refusal checks). */
export async function convertSpec(spec: FormSpec, options: ImportOptions = {}): Promise<ImportResult> {
  return convert(await readWorkbook(await buildXlsx(spec), 'form.xlsx'), 'form.xlsx', options);
}

/** The problems an import is refused with. */
export async function refusal(spec: FormSpec, options: ImportOptions = {}): Promise<string[]> {
  try {
    await convertSpec(spec, options);
  } catch (err) {
    if (err && typeof err === 'object' && 'problems' in err) return (err as { problems: string[] }).problems;
    throw err;
  }
  throw new Error('the form was accepted');
}

/** The flow written as an XLSForm and imported again. */
export async function again(result: ImportResult): Promise<ImportResult> {
  const bytes = new Uint8Array(await flowToWorkbook(result.flow, result.texts).xlsx.writeBuffer());
  return importXlsForm(bytes, `${result.id}.xlsx`);
}

/** Import, export, import gives the same flow and texts, without warnings, and stays so. */
export async function expectRoundTrip(first: ImportResult): Promise<void> {
  const second = await again(first);
  expect(second.flow).toEqual(first.flow);
  expect(second.texts).toEqual(first.texts);
  // Both languages are written out, so the second import warns about nothing.
  expect(second.warnings).toEqual([]);
  expect((await again(second)).flow).toEqual(first.flow);
}

/**
 * The conversation service over the repository's flows and texts plus an imported form, written
 * (as flows:import does) into a folder of the test's own.
 */
export async function serviceWith(result: ImportResult, clock = new TestClock()): Promise<ConversationService> {
  const root = await tempDir('xlsform-service');
  const dirs = { flowsDir: path.join(root, 'flows'), localesDir: path.join(root, 'locales') };
  await cp(path.join(ROOT, 'flows'), dirs.flowsDir, { recursive: true });
  await mkdir(dirs.localesDir, { recursive: true });
  await cp(path.join(ROOT, 'locales'), dirs.localesDir, { recursive: true });
  const written = await writeImportedFlow(result, dirs);
  expect(written).toMatchObject({ id: result.id, version: 1, status: 'new' });
  const versions = await loadFlowVersions(dirs.flowsDir);
  return new ConversationService({
    flows: versions.current,
    i18n: await createI18n(dirs.localesDir),
    logger: createLogger({ level: 'silent' }),
    timeZone: 'Asia/Jayapura',
    runExpiryHours: 168,
    now: clock.now,
  });
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
}

export function compile(result: ImportResult): Flow {
  return parseFlow(stringify(result.flow), `${result.id}.yaml`);
}

async function engineTexts(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const lang of LANGS) out[lang] = JSON.parse(await readFile(path.join(ROOT, 'locales', lang, 'engine.json'), 'utf8'));
  return out;
}

/** A translator over the engine's texts plus the given namespaces' texts. */
export async function translator(namespaces: Record<string, Texts>, lang: 'id' | 'en' = 'id'): Promise<StepContext['t']> {
  const engine = await engineTexts();
  const resources: Record<string, Record<string, unknown>> = {};
  for (const l of LANGS) {
    resources[l] = { engine: engine[l] };
    for (const [ns, texts] of Object.entries(namespaces)) resources[l]![ns] = texts[l];
  }
  const instance = i18next.createInstance();
  await instance.init({ resources: resources as never, lng: lang, fallbackLng: false, ns: ['engine', ...Object.keys(namespaces)], defaultNS: 'engine', interpolation: { escapeValue: false }, returnNull: false });
  const t = instance.getFixedT(lang);
  return (key, options) => t(key, options ?? {}) as string;
}

/** Talks to one flow at the engine level, keeping the state and what was said. */
export class EngineChat {
  state!: RunState;
  last: OutboundMessage[] = [];
  submitted?: Record<string, unknown>;
  ended?: string;
  now = new Date('2026-11-27T02:00:00Z');

  constructor(
    readonly flow: Flow,
    readonly t: StepContext['t'],
    readonly meta: StepContext['meta'] = { deviceid: 'web:tester' },
  ) {}

  ctx(): StepContext {
    return { now: this.now, timeZone: 'Asia/Jayapura', t: this.t, data: { villages: [], activities: [] }, meta: this.meta };
  }

  private take(r: StepResult): void {
    this.state = r.state;
    this.last = r.messages;
    for (const e of r.effects) {
      if (e.type === 'submit') this.submitted = e.answers;
      if (e.type === 'ended') this.ended = e.outcome;
    }
  }

  start(): this {
    this.take(startRun(this.flow, this.ctx()));
    return this;
  }

  send(input: EngineInput): this {
    this.take(step(this.flow, this.state, input, this.ctx()));
    return this;
  }

  say(text: string): this {
    return this.send({ kind: 'text', text });
  }

  get prompt(): OutboundMessage {
    const m = [...this.last].reverse().find((x) => x.choices?.length) ?? this.last[this.last.length - 1];
    if (!m) throw new Error('nothing said');
    return m;
  }

  press(label: string): this {
    const p = this.prompt;
    const c = p.choices?.find((x) => x.label.toLowerCase().includes(label.toLowerCase()));
    if (!c) throw new Error(`no button "${label}" in ${JSON.stringify(p.choices?.map((x) => x.label))}: ${p.text}`);
    return this.send({ kind: 'choice', promptSeq: p.promptSeq ?? 0, choiceId: c.id });
  }

  get text(): string {
    return this.last.map((m) => m.text).join('\n---\n');
  }
}

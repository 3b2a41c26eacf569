/**
 * Test harness: the shipped flows, real i18next instances over locales/, the real village list,
 * and a tiny conversation driver that records what the person sees.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import i18next, { type i18n as I18n } from 'i18next';
import type { OutboundMessage } from '../../src/messages/index.js';
import {
  loadFlows,
  repromptRun,
  startRun,
  step,
  type EngineInput,
  type Flow,
  type RunState,
  type StepContext,
  type StepResult,
  type VillageRecord,
} from '../../src/engine/index.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FLOWS_DIR = path.join(ROOT, 'flows');
export const LOCALES_DIR = path.join(ROOT, 'locales');
export const LANGS = ['id', 'en'] as const;

export function readLocales(): Record<string, Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const lang of LANGS) {
    out[lang] = {};
    for (const file of readdirSync(path.join(LOCALES_DIR, lang)).filter((f) => f.endsWith('.json'))) {
      out[lang][file.replace(/\.json$/, '')] = JSON.parse(readFileSync(path.join(LOCALES_DIR, lang, file), 'utf8'));
    }
  }
  return out;
}

let i18n: I18n | undefined;
export function getI18n(): I18n {
  if (i18n) return i18n;
  const resources = readLocales();
  const instance = i18next.createInstance();
  void instance.init({
    resources,
    lng: 'id',
    fallbackLng: false,
    ns: Object.keys(resources.id!),
    defaultNS: 'engine',
    initAsync: false,
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  i18n = instance;
  return instance;
}

export function translator(lang: 'id' | 'en'): StepContext['t'] {
  const t = getI18n().getFixedT(lang);
  return (key, options) => t(key, options ?? {}) as string;
}

/** The villages the repository ships (data-seed/villages-sbt.csv), as the service would preload them. */
export const VILLAGES_FILE = path.join(ROOT, 'data-seed', 'villages-sbt.csv');

let villageCache: VillageRecord[] | undefined;
export function villages(): VillageRecord[] {
  villageCache ??= (parse(readFileSync(VILLAGES_FILE, 'utf8'), { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[]).map(
    (row) => ({
      code: row.kode!,
      name: row.nama!,
      kecamatan: row.kecamatan!,
      aliases: row.alias ? row.alias.split(';').map((a) => a.trim()).filter(Boolean) : [],
    }),
  );
  return villageCache.map((v) => ({ ...v, aliases: [...v.aliases] }));
}

let flowsPromise: Promise<Map<string, Flow>> | undefined;
export async function shippedFlows(): Promise<Map<string, Flow>> {
  flowsPromise ??= loadFlows(FLOWS_DIR);
  return flowsPromise;
}

export async function flow(id: string): Promise<Flow> {
  const f = (await shippedFlows()).get(id);
  if (!f) throw new Error(`no flow ${id}`);
  return f;
}

/** 2024-09-20 10:00 WIT. */
export const NOW = new Date('2024-09-20T01:00:00Z');

export function context(overrides: Partial<StepContext> = {}, lang: 'id' | 'en' = 'id'): StepContext {
  return {
    now: NOW,
    timeZone: 'Asia/Jayapura',
    t: translator(lang),
    data: {
      villages: villages(),
      activities: [
        { id: 'act-1', title: 'Pelatihan pengolahan pala' },
        { id: 'act-2', title: 'Perbaikan dermaga' },
        { id: 'act-3', title: 'Kelompok simpan pinjam perempuan' },
      ],
    },
    // The id of the code that grants the role, as the service answers from its access codes.
    checkRoleCode: (role, code) =>
      role === 'pokja' && code.toUpperCase() === 'POKJA-123' ? 'code-pokja' : role === 'fasilitator' && code === 'FAS-9' ? 'code-fas' : null,
    ...overrides,
  };
}

/** Drives one conversation and keeps what the person sees. */
export class Chat {
  state: RunState;
  last: StepResult;
  readonly all: OutboundMessage[] = [];

  constructor(
    readonly flow: Flow,
    readonly ctx: StepContext = context(),
  ) {
    this.last = startRun(flow, ctx);
    this.state = this.last.state;
    this.all.push(...this.last.messages);
  }

  send(input: EngineInput | string): StepResult {
    const i: EngineInput = typeof input === 'string' ? { kind: 'text', text: input } : input;
    this.last = step(this.flow, this.state, i, this.ctx);
    this.state = this.last.state;
    this.all.push(...this.last.messages);
    return this.last;
  }

  /** Presses a button of the last question message. */
  press(choiceId: string): StepResult {
    return this.send({ kind: 'choice', promptSeq: this.state.promptSeq, choiceId });
  }

  back(): StepResult {
    return this.send({ kind: 'back' });
  }

  reprompt(): StepResult {
    this.last = repromptRun(this.flow, this.state, this.ctx);
    this.state = this.last.state;
    this.all.push(...this.last.messages);
    return this.last;
  }

  /** Text of the last message sent. */
  get text(): string {
    return this.last.messages.at(-1)?.text ?? '';
  }

  /** The last message sent. */
  get message(): OutboundMessage {
    const m = this.last.messages.at(-1);
    if (!m) throw new Error('no message');
    return m;
  }

  /** Id of the question being asked now. */
  get at(): string {
    const p = this.state.position;
    if (!p) return 'done';
    return p.at === 'question' ? p.id : p.at;
  }

  /** Answers the current question, checking that it is `id`. */
  answer(id: string, input: EngineInput | string): StepResult {
    if (this.at !== id) throw new Error(`expected to be at ${id}, but at ${this.at}: ${this.text}`);
    return this.send(input);
  }

  get submitted(): Record<string, unknown> | undefined {
    const e = this.last.effects.find((x) => x.type === 'submit');
    return e && e.type === 'submit' ? e.answers : undefined;
  }
}

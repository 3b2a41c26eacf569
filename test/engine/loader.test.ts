/** Loading and validating flow files: every problem named by file, question and what is wrong. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FlowLoadError, loadFlows, parseFlow } from '../../src/engine/index.js';
import { FLOWS_DIR } from './helpers.js';

function problemsOf(yaml: string, file = 'demo.yaml'): string[] {
  try {
    parseFlow(yaml, file);
  } catch (err) {
    if (err instanceof FlowLoadError) return err.problems;
    throw err;
  }
  return [];
}

const header = 'id: demo\nversion: 1\nroles: [warga]\nquestions:\n';

describe('parseFlow', () => {
  it('loads the shipped flows', async () => {
    const flows = await loadFlows(FLOWS_DIR);
    // Other flows (schedules, announcements) may sit beside the four of the village plan.
    expect([...flows.keys()]).toEqual(expect.arrayContaining(['daftar', 'kemajuan-kegiatan', 'laporan-risiko', 'profil-desa']));
    const daftar = flows.get('daftar')!;
    expect(daftar.version).toBe(1);
    expect(daftar.namespace).toBe('daftar');
    expect(daftar.roles).toEqual(['warga', 'pokja', 'fasilitator', 'admin']);
    expect(flows.get('kemajuan-kegiatan')!.roles).toEqual(['pokja', 'fasilitator', 'admin']);
  });

  it('fills in the conventional keys and defaults', () => {
    const flow = parseFlow(`${header}  - id: a\n    type: text\n  - id: p\n    type: photo\n  - id: s\n    type: single\n    choices: [{id: x}, {id: y, label: custom.y}]\n`, 'demo.yaml');
    const [a, p, s] = flow.questions;
    expect(a).toMatchObject({ prompt: 'a.prompt', label: 'a.label', required: true, maxLength: 500 });
    expect(p).toMatchObject({ required: false });
    expect(s).toMatchObject({ choices: [{ id: 'x', label: 's.choices.x' }, { id: 'y', label: 'custom.y' }] });
    expect(flow).toMatchObject({ title: 'title', description: 'description', thanks: 'thanks' });
  });

  it('names file, question and problem for unknown keys and types', () => {
    const problems = problemsOf(`${header}  - id: a\n    type: text\n    maxLenght: 5\n  - id: b\n    type: txt\n`);
    expect(problems).toContain('demo.yaml: a: Unrecognized key: "maxLenght"');
    expect(problems.some((p) => p.startsWith('demo.yaml: b: unknown type "txt"'))).toBe(true);
  });

  it('refuses question ids every object already has (constructor, toString...): answers are keyed by them', () => {
    for (const id of ['constructor', 'toString', 'valueOf', 'hasOwnProperty']) {
      const problems = problemsOf(`${header}  - id: ${id}\n    type: text\n`);
      expect(problems.some((p) => p.includes('must not be a name every object has')), id).toBe(true);
    }
    expect(problemsOf(`${header}  - id: constructorName\n    type: text\n`)).toEqual([]);
  });

  it('reports header problems and the file-name rule', () => {
    const problems = problemsOf('id: other\nversion: 1.5\nroles: [boss]\ncolour: red\nquestions:\n  - id: a\n    type: note\n');
    expect(problems).toEqual(
      expect.arrayContaining([
        'demo.yaml: (flow): version: Invalid input: expected int, received number',
        expect.stringMatching(/^demo\.yaml: \(flow\): roles\.0: Invalid option/),
        'demo.yaml: (flow): Unrecognized key: "colour"',
        'demo.yaml: (flow): id "other" must equal the file name "demo"',
      ]),
    );
  });

  it('parses expressions at load and checks what they refer to', () => {
    const problems = problemsOf(
      `${header}` +
        '  - id: a\n    type: integer\n    constraint: "value >"\n    constraintMessage: a.bad\n' +
        '  - id: b\n    type: text\n    relevant: "answers.c == 1"\n' +
        '  - id: c\n    type: text\n    relevant: "answer.a > 1"\n' +
        '  - id: d\n    type: text\n    relevant: "answers.a|nope"\n' +
        '  - id: e\n    type: text\n    relevant: "launch(1)"\n',
    );
    expect(problems).toEqual([
      'demo.yaml: a: constraint: cannot parse "value >": Unexpected end of expression: value >',
      'demo.yaml: b: relevant: "answers.c == 1": answers.c is not an earlier question',
      'demo.yaml: c: relevant: "answer.a > 1": unknown name "answer" (use answers)',
      'demo.yaml: d: relevant: "answers.a|nope": unknown transform "nope"',
      'demo.yaml: e: relevant: "launch(1)": unknown function "launch"',
    ]);
  });

  it('checks cross-field rules', () => {
    const problems = problemsOf(
      `${header}` +
        '  - id: a\n    type: single\n    choices: [{id: x}, {id: x}]\n    filter: "item.k == 1"\n' +
        '  - id: b\n    type: single\n' +
        '  - id: c\n    type: integer\n    min: 5\n    max: 1\n    constraint: "value > 1"\n' +
        '  - id: d\n    type: yesno\n    endIf: "value == false"\n' +
        '  - id: e\n    type: date\n    min: "2024-02-30"\n' +
        '  - id: a\n    type: text\n',
    );
    expect(problems).toEqual([
      'demo.yaml: a: duplicate choice id "x"',
      'demo.yaml: b: give choices or choicesFrom',
      'demo.yaml: c: constraint needs a constraintMessage key',
      'demo.yaml: c: min 5 is above max 1',
      'demo.yaml: d: endIf needs an endMessage key',
      'demo.yaml: e: min "2024-02-30" is not a real date',
      'demo.yaml: a: duplicate question id',
    ]);
  });

  it('checks repeat groups and their children', () => {
    const problems = problemsOf(
      `${header}` +
        '  - id: g\n    type: group\n    questions:\n      - id: x\n        type: text\n' +
        '  - id: h\n    type: group\n    repeat: true\n    questions:\n' +
        '      - id: h1\n        type: text\n        relevant: "group.h2 == 1"\n' +
        '      - id: h2\n        type: group\n',
    );
    expect(problems).toEqual([
      'demo.yaml: g: repeat: only repeat groups exist: set repeat: true',
      'demo.yaml: h.h1: relevant: "group.h2 == 1": group.h2 is not an earlier question of this group',
      'demo.yaml: h.h2: groups cannot be nested',
    ]);
  });

  it('reports YAML syntax errors', () => {
    expect(problemsOf('id: demo\n  version: [1\n')[0]).toMatch(/^demo\.yaml: \(flow\): YAML: /);
  });
});

describe('loadFlows', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'flows-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the problems of every file at once', async () => {
    writeFileSync(path.join(dir, 'one.yaml'), 'id: one\nversion: 1\nroles: [warga]\nquestions:\n  - id: a\n    type: txt\n');
    writeFileSync(path.join(dir, 'two.yaml'), 'id: two\nversion: 1\nroles: [warga]\nquestions:\n  - id: b\n    type: text\n    relevant: "answers.zz"\n');
    writeFileSync(path.join(dir, 'notes.txt'), 'not a flow');
    const err = await loadFlows(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlowLoadError);
    const problems = (err as FlowLoadError).problems;
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^one\.yaml: a: unknown type "txt"/);
    expect(problems[1]).toBe('two.yaml: b: relevant: "answers.zz": answers.zz is not an earlier question');
    expect((err as Error).message).toContain('one.yaml: a:');
  });
});

/**
 * flows:export — writes a flow back as an XLSForm to edit in Excel or KoBo and import again.
 *
 *   npm run flows:export -- <flow-id> [--version <n>] [--out <file.xlsx>]
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { flowsDir, localesDir } from '../src/paths.js';
import { exportFlow } from '../src/xlsform/export.js';
import { runCommand } from '../src/xlsform/workbook.js';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { version: { type: 'string' }, out: { type: 'string' } } });
  const id = positionals[0];
  if (!id || positionals.length > 1 || (values.version !== undefined && !/^\d+$/.test(values.version))) {
    console.error('usage: npm run flows:export -- <flow-id> [--version <n>] [--out <file.xlsx>]');
    return 2;
  }
  const version = values.version === undefined ? undefined : Number(values.version);
  return runCommand(async () => {
    const bytes = await exportFlow(id, { flowsDir, localesDir }, version);
    const out = values.out ?? `${id}${version === undefined ? '' : `-v${version}`}.xlsx`;
    await writeFile(out, bytes);
    console.log(`${out}: written`);
    return 0;
  });
}

process.exitCode = await main();

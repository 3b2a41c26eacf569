/**
 * flows:import — an XLSForm (.xlsx from KoBoToolbox, ODK, SurveyCTO) becomes flows/<id>.yaml
 * and locales/<lang>/<id>.json; a changed form becomes a new version (the old one is archived).
 *
 *   npm run flows:import -- <form.xlsx> [--id <flow-id>] [--roles warga,pokja] [--skip-unsupported] [--lang id|en]
 */
import { parseArgs } from 'node:util';
import { ROLES, type Role } from '../src/engine/types.js';
import { flowsDir, localesDir } from '../src/paths.js';
import { importXlsFormFile, LANGS, type Lang } from '../src/xlsform/import.js';
import { runCommand } from '../src/xlsform/workbook.js';
import { writeImportedFlow } from '../src/xlsform/store.js';

const USAGE = 'usage: npm run flows:import -- <form.xlsx> [--id <flow-id>] [--roles warga,pokja] [--skip-unsupported] [--lang id|en]';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { id: { type: 'string' }, roles: { type: 'string' }, 'skip-unsupported': { type: 'boolean' }, lang: { type: 'string' } },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    console.error(USAGE);
    return 2;
  }
  const roles = values.roles?.split(',').map((r) => r.trim()).filter(Boolean);
  const badRole = roles?.find((r) => !(ROLES as readonly string[]).includes(r));
  if (badRole) {
    console.error(`--roles: "${badRole}" is not a role (${ROLES.join(', ')})`);
    return 2;
  }
  if (values.lang && !(LANGS as readonly string[]).includes(values.lang)) {
    console.error(`--lang: use ${LANGS.join(' or ')}`);
    return 2;
  }
  return runCommand(async () => {
    const result = await importXlsFormFile(file, {
      id: values.id,
      roles: roles as Role[] | undefined,
      skipUnsupported: values['skip-unsupported'] ?? false,
      defaultLanguage: values.lang as Lang | undefined,
    });
    for (const w of result.warnings) console.log(`warning: ${w}`);
    for (const s of result.skipped) console.log(`left out: ${s}`);
    const written = await writeImportedFlow(result, { flowsDir, localesDir });
    if (written.status === 'unchanged') console.log(`flows/${written.id}.yaml: unchanged (version ${written.version})`);
    else {
      const archived = written.archived !== undefined ? `; version ${written.archived} kept in flows/versions/${written.id}/v${written.archived}.yaml` : '';
      console.log(`flows/${written.id}.yaml: version ${written.version} written with its texts in ${LANGS.map((l) => `locales/${l}/${written.id}.json`).join(', ')}${archived}`);
    }
    return 0;
  });
}

process.exitCode = await main();

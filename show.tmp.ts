import { stringify } from 'yaml';
import { importXlsFormFile } from './src/xlsform/import.js';
const r = await importXlsFormFile(process.argv[2]!, { skipUnsupported: true });
console.log(stringify(r.flow.questions.map((q) => `${q.id} ${q.type}${q.required === false ? '' : ' REQ'}${q.default !== undefined ? ` default=${q.default}` : ''}${q.relevant ? ` rel=${q.relevant}` : ''}${q.constraint ? ` c=${q.constraint}` : ''}`)));
if (process.argv[3]) console.log(JSON.stringify(r.texts.id, null, 1));

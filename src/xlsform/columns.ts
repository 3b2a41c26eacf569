/**
 * XLSForm spellings as pyxform reads them (pyxform/aliases.py, question_type_dictionary.py):
 * question types and their aliases, the other names of survey columns, and languages.
 */
import { SUPPORTED_LANGUAGES, type SupportedLanguage } from '../i18n.js';

export type Lang = SupportedLanguage;
export const LANGS: readonly Lang[] = SUPPORTED_LANGUAGES;

/** Question types a chat asks, by every name pyxform gives them. */
export const SIMPLE_TYPES: Record<string, string> = {
  ...names('text', ['text', 'string', 'q string', 'add text prompt', 'phone number']),
  ...names('integer', ['integer', 'int', 'q int', 'add integer prompt', 'percentage', 'number of days in last month', 'number of days in last six months', 'number of days in last year']),
  ...names('decimal', ['decimal', 'q decimal', 'add decimal prompt']),
  ...names('date', ['date', 'q date', 'add date prompt']),
  ...names('time', ['time']),
  ...names('datetime', ['datetime', 'date time', 'q date time', 'q datetime', 'add date time prompt', 'add datetime prompt']),
  ...names('location', ['geopoint', 'gps', 'location', 'q geopoint', 'q location', 'add location prompt']),
  ...names('photo', ['image', 'photo', 'q picture', 'q image', 'add image prompt', 'add photo prompt']),
  // A voice note.
  ...names('audio', ['audio', 'q audio', 'add audio prompt']),
  ...names('note', ['note', 'q note', 'add note prompt']),
  // ODK shows a trigger as the acknowledge widget.
  ...names('acknowledge', ['acknowledge', 'trigger', 'q acknowledge', 'add acknowledge prompt']),
  ...names('calculate', ['calculate', 'q calculate', 'add calculate prompt']),
  // Never shown in ODK either: a value from its default (or a web form).
  ...names('hidden', ['hidden']),
};

/** Metadata filled from the run, by every name pyxform gives them. */
export const META_TYPES: Record<string, string> = {
  ...names('start', ['start', 'start time', 'get start time']),
  ...names('end', ['end', 'end time', 'get end time']),
  ...names('today', ['today', 'get today']),
  ...names('deviceid', ['deviceid', 'device id', 'get device id', 'imei', 'uri:deviceid']),
  ...names('subscriberid', ['subscriberid', 'subscriber id', 'get subscriber id', 'uri:subscriberid']),
  ...names('simserial', ['simserial', 'sim id', 'get sim id', 'uri:simserial']),
  ...names('phonenumber', ['phonenumber', 'get phone number', 'uri:phonenumber']),
  ...names('username', ['username', 'uri:username']),
  ...names('email', ['email', 'uri:email']),
};

/** Types a chat cannot ask, and why. */
export const REFUSED_TYPES: Record<string, string> = {
  ...names('a chat cannot scan a barcode', ['barcode', 'q barcode', 'add barcode prompt']),
  range: 'the range widget (a slider) has no chat equivalent: use integer with a constraint',
  rank: 'ranking by dragging has no chat equivalent: use select_multiple or several select_one',
  audit: 'audit logs record activity on the phone screen; a chat has none',
  'background-audio': 'recording the surroundings in the background is not a question a chat asks',
  ...names('the chat receives photos, not videos', ['video', 'q video', 'add video prompt']),
  ...names('the chat receives photos, not other files', ['file', 'add file prompt']),
  osm: 'OpenStreetMap widgets belong to ODK Collect',
  ...names('a chat shares one location, not a line', ['geotrace', 'q geotrace']),
  ...names('a chat shares one location, not an area', ['geoshape', 'q geoshape']),
  'xml-external': 'external data files are not available in chat',
  'csv-external': 'external data files are not available in chat',
  'start-geopoint': 'the phone position at the start is not available in chat',
  'background-geopoint': 'the phone position in the background is not available in chat',
  select_one_from_file: 'the choices file (CSV/XML) is not part of the form: copy its choices into the choices sheet',
  select_multiple_from_file: 'the choices file (CSV/XML) is not part of the form: copy its choices into the choices sheet',
};

/** Appearances a chat cannot offer, and why (the rest change only how a phone lays a question out). */
export const REFUSED_APPEARANCES: Record<string, string> = {
  signature: 'a chat cannot take a signature',
  draw: 'a chat cannot offer a drawing pad',
  annotate: 'a chat cannot annotate a picture',
};

function names(value: string, aliases: string[]): Record<string, string> {
  return Object.fromEntries(aliases.map((a) => [a, value]));
}

/**
 * Other names of survey columns -> the one read (after workbook.normaliseColumn: lower case,
 * "label:English" -> "label::english"): caption, relevance, bind::relevant, count...
 */
const SURVEY_COLUMN_ALIASES: Record<string, string> = {
  caption: 'label',
  relevance: 'relevant',
  'bind::relevant': 'relevant',
  'bind::constraint': 'constraint',
  'bind::required': 'required',
  'bind::calculate': 'calculation',
  calculate: 'calculation',
  'bind::readonly': 'read_only',
  readonly: 'read_only',
  constraining_message: 'constraint_message',
  'bind::jr:constraintmsg': 'constraint_message',
  requiredmsg: 'required_message',
  'bind::jr:requiredmsg': 'required_message',
  count: 'repeat_count',
  'jr::count': 'repeat_count',
  'control::jr:count': 'repeat_count',
  'control::appearance': 'appearance',
  command: 'type',
  tag: 'name',
  value: 'name',
};
/** Column families that have a language (label::English...), with their other names. */
const TEXT_FAMILIES: Record<string, string> = {
  label: 'label',
  caption: 'label',
  hint: 'hint',
  constraint_message: 'constraint_message',
  constraining_message: 'constraint_message',
  required_message: 'required_message',
  requiredmsg: 'required_message',
  'bind::jr:constraintmsg': 'constraint_message',
  'bind::jr:requiredmsg': 'required_message',
  guidance_hint: 'guidance_hint',
};

/** The survey column a normalised header means: "caption::english" -> "label::english", "bind::relevant" -> "relevant". */
export function surveyColumn(column: string): string {
  // Own keys only: a column headed "constructor" is just an unknown column.
  if (Object.hasOwn(SURVEY_COLUMN_ALIASES, column)) return SURVEY_COLUMN_ALIASES[column]!;
  for (const [family, canonical] of Object.entries(TEXT_FAMILIES)) {
    if (column.startsWith(`${family}::`)) return `${canonical}::${column.slice(family.length + 2)}`;
  }
  // media::image::english, image::english, big-image -> image (one picture per question).
  const media = /^(?:media::)?(image|big-image|audio|video)(?:::(.+))?$/.exec(column);
  if (media) return `media_${media[1] === 'big-image' ? 'image' : media[1]}${media[2] ? `::${media[2]}` : ''}`;
  return column;
}

/** The same for a choices sheet: caption is the label, value the name, list name the list. */
export function choicesColumn(column: string): string {
  if (column === 'value') return 'name';
  if (column === 'caption' || column.startsWith('caption::')) return `label${column.slice('caption'.length)}`;
  return column;
}

/** Language of a column suffix: "(id)" / "(en)" codes, else the usual names; undefined for others. */
export function languageOf(suffix: string): Lang | undefined {
  const code = /\(([a-z]{2,3})(?:[-_][a-z]+)?\)\s*$/i.exec(suffix)?.[1]?.toLowerCase();
  if (code) return (LANGS as readonly string[]).includes(code) ? (code as Lang) : undefined;
  const s = suffix.trim().toLowerCase();
  if (['english', 'inggris', 'bahasa inggris', 'en'].includes(s)) return 'en';
  if (['indonesian', 'bahasa indonesia', 'indonesia', 'bahasa', 'id', 'ind'].includes(s)) return 'id';
  return undefined;
}

/** yes / no as pyxform reads them (required, read_only, settings); undefined: an expression. */
export function yesNo(v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return false;
  const s = v.trim().toLowerCase();
  if (['yes', 'true', 'true()', '1', 'y', 'ya'].includes(s)) return true;
  if (['no', 'false', 'false()', '0', 'n', 'tidak'].includes(s)) return false;
  return undefined;
}

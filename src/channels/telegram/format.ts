/** Text rendering for Telegram's HTML parse mode and its 4096-character limit. */

/** Telegram's limit for one text message, counted after entity parsing (UTF-16 units here: conservative). */
export const TELEGRAM_TEXT_LIMIT = 4096;
export const TELEGRAM_CAPTION_LIMIT = 1024;

/** Escapes plain text for parse_mode HTML: only `&`, `<` and `>` need it outside attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/**
 * Splits plain text into chunks of at most `max` characters, cutting at a paragraph break,
 * else a line break, else a space, else (one endless word) at `max` without splitting a
 * surrogate pair. Chunks are trimmed at the cut; empty chunks are dropped.
 * Split before escaping: Telegram counts the visible characters, so escaping does not change
 * a chunk's length as Telegram sees it.
 */
export function splitText(text: string, max = TELEGRAM_TEXT_LIMIT): string[] {
  const chunks: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const window = rest.slice(0, max + 1);
    const minCut = Math.floor(max / 3); // don't make silly short chunks
    let cut = -1;
    for (const sep of ['\n\n', '\n', ' ']) {
      const at = window.lastIndexOf(sep);
      if (at >= minCut) {
        cut = at;
        break;
      }
    }
    let head: string;
    if (cut >= 0) {
      head = rest.slice(0, cut);
      rest = rest.slice(cut);
    } else {
      let at = max;
      const code = rest.charCodeAt(at - 1);
      if (code >= 0xd800 && code <= 0xdbff) at--; // keep a surrogate pair together
      head = rest.slice(0, at);
      rest = rest.slice(at);
    }
    head = head.trimEnd();
    rest = rest.replace(/^\s+/, '');
    if (head.trim()) chunks.push(head);
  }
  if (rest.trim()) chunks.push(rest);
  return chunks;
}

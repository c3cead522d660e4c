/**
 * Download names: valid on Windows whatever a client is called, and sent in a
 * Content-Disposition header that every browser reads (RFC 6266, with RFC 5987's `filename*`
 * for names that are not plain ASCII).
 */

/** Characters Windows refuses in a file name, and control characters. */
const FORBIDDEN = /[<>:"/\\|?*\p{Cc}]/gu;
/** Device names Windows reserves whatever the extension (CON, CON.txt, COM1…). */
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i;
const MAX_STEM = 150;
/** RFC 5987 attr-char: what may stand unencoded in `filename*`. */
const ATTR_CHAR = /[A-Za-z0-9!#$&+\-.^_`|~]/;

function collapse(text: string): string {
  return text
    .replace(/\s+/gu, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-. ]+$/g, '');
}

function truncate(text: string, max: number): string {
  const characters = Array.from(text);
  return characters.length <= max ? text : characters.slice(0, max).join('');
}

/**
 * `stem` + `extension` as a valid Windows file name: forbidden characters and spaces become
 * `-`, no trailing dot or space, no reserved device name, at most 150 characters before the
 * extension. `fallback` is used when nothing of `stem` is left.
 */
export function windowsFileName(stem: string, extension: string, fallback = 'download'): string {
  let clean = collapse(truncate(stem.normalize('NFC').replace(FORBIDDEN, '-'), MAX_STEM));
  if (clean === '') clean = fallback;
  if (RESERVED.test(clean.split('.')[0] ?? '')) clean = `_${clean}`;
  return `${clean}${extension}`;
}

/** An ASCII spelling of a Windows file name: accents dropped, anything else non-ASCII `-`. */
export function asciiFileName(name: string, fallback = 'download'): string {
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? name.slice(dot) : '';
  const stem = (dot > 0 ? name.slice(0, dot) : name)
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^A-Za-z0-9._+-]/g, '-');
  return windowsFileName(collapse(stem), extension.replace(/[^A-Za-z0-9.]/g, ''), fallback);
}

function encodeRfc5987(value: string): string {
  let out = '';
  for (const character of value) {
    if (ATTR_CHAR.test(character)) {
      out += character;
      continue;
    }
    for (const byte of Buffer.from(character, 'utf8')) {
      out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/**
 * `attachment; filename=NAME`, the name as a bare token (every character of an ASCII name made
 * by `asciiFileName` is a token character, and a bare token suits readers that match
 * `filename=([^;\s]+)`), plus `filename*=UTF-8''…` when the real name is not plain ASCII.
 */
export function contentDisposition(name: string): string {
  const ascii = asciiFileName(name);
  if (ascii === name) return `attachment; filename=${ascii}`;
  return `attachment; filename=${ascii}; filename*=UTF-8''${encodeRfc5987(name)}`;
}

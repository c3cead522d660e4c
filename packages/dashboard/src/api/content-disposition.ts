/**
 * The file name a `Content-Disposition` header gives (RFC 6266): `filename*` (RFC 8187,
 * percent-encoded UTF-8 or ISO-8859-1) wins over the plain `filename`, which may be a token or
 * a quoted string with backslash escapes. Whatever it says, the result is a bare name: folders,
 * control characters and names made only of dots are dropped. Undefined when there is none.
 */
export function filenameFromContentDisposition(header: string | null | undefined) {
  if (!header) return undefined;
  const params = parseParameters(header);
  const extended = params.get('filename*');
  const decoded = extended === undefined ? undefined : decodeExtended(extended);
  return safeName(decoded) ?? safeName(params.get('filename'));
}

/** `attachment; a=b; c="d;e"` → {a: 'b', c: 'd;e'}; names are lower-cased, first one wins. */
function parseParameters(header: string): Map<string, string> {
  const params = new Map<string, string>();
  const pattern = /;\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
  for (const match of header.matchAll(pattern)) {
    const name = (match[1] ?? '').toLowerCase();
    let value = (match[2] ?? '').trim();
    if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    if (!params.has(name)) params.set(name, value);
  }
  return params;
}

/** `UTF-8''na%C3%AFve.exe` (RFC 8187); undefined when the charset or encoding is not valid. */
function decodeExtended(value: string): string | undefined {
  const match = /^([\w!#$%&+^`{}~-]+)'[\w-]*'(.*)$/.exec(value);
  if (!match) return undefined;
  const charset = (match[1] ?? '').toLowerCase();
  const encoded = match[2] ?? '';
  try {
    if (charset === 'utf-8') return decodeURIComponent(encoded);
    if (charset === 'iso-8859-1') {
      return encoded.replace(/%([0-9a-f]{2})/gi, (_, hex: string) =>
        String.fromCharCode(Number.parseInt(hex, 16)),
      );
    }
  } catch {
    // A malformed escape: fall back to the plain filename.
  }
  return undefined;
}

function safeName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const base = name.split(/[/\\]/).pop() ?? '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return clean === '' || /^\.+$/.test(clean) ? undefined : clean;
}

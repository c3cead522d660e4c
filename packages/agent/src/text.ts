/** Control characters, and halves of UTF-16 surrogate pairs on their own. */
const UNSENDABLE =
  /[\p{Cc}]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/gu;

/** Values systems print for "unknown" that mean nothing to an administrator. */
const PLACEHOLDERS = new Set(['', '-', 'unknown', 'none', 'n/a', 'to be filled by o.e.m.']);

/**
 * Text read from the machine made fit to send: control characters and broken surrogates
 * removed, trimmed, cut to `max` characters; nothing (or a placeholder) is undefined. The
 * server refuses text with control characters, so one odd label would cost the whole report.
 */
export function cleanText(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  let text = String(value).replace(UNSENDABLE, ' ').trim();
  if (text.length > max)
    text = text
      .slice(0, max)
      .replace(/[\uD800-\uDBFF]$/, '')
      .trimEnd();
  return PLACEHOLDERS.has(text.toLowerCase()) ? undefined : text;
}

/** A finite number within bounds, else undefined. */
export function boundedNumber(value: unknown, min: number, max: number): number | undefined {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) && number >= min && number <= max
    ? number
    : undefined;
}

/** A whole number of bytes (or a count) that JSON carries exactly, else undefined. */
export function wholeNumber(value: unknown, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const number = boundedNumber(value, 0, max);
  return number === undefined ? undefined : Math.floor(number);
}

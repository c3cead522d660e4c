/**
 * The order of `Intl.Collator('en', { numeric: true })` for printable ASCII names, without ICU.
 *
 * The collator keeps the agent's directory listings (hwmon0 … hwmon10, eth0 …) in a stable,
 * human order. Creating one loads ICU's collation data: about 4 MB of the Node executable stay
 * resident for the life of the agent, for names that are plain ASCII on every real system.
 * Anything else still goes to the collator, so the order never changes.
 */

/** Primary order of the printable ASCII characters that are not digits or letters (CLDR root). */
const PUNCTUATION = ' _-,;:!?.\'"()[]{}@*/\\&#%`^+<=>|~$';

/** Printable ASCII with no run of digits longer than ICU compares as one number (254). */
const SIMPLE = /^(?!.*\d{255})[\x20-\x7e]*$/;

const DIGIT_RUN = /\d+|\D/g;

/** Primary weights: punctuation below numbers, numbers below letters, case ignored. */
type Token = { rank: number } | { digits: string };

const NUMBER_RANK = PUNCTUATION.length;

function tokens(name: string): Token[] {
  return (name.match(DIGIT_RUN) ?? []).map((part) => {
    if (/\d/.test(part)) return { digits: part.replace(/^0+(?=\d)/, '') };
    const punctuation = PUNCTUATION.indexOf(part);
    if (punctuation >= 0) return { rank: punctuation };
    return { rank: NUMBER_RANK + 1 + part.toLowerCase().charCodeAt(0) };
  });
}

function compareTokens(a: Token, b: Token): number {
  if ('digits' in a && 'digits' in b) {
    if (a.digits.length !== b.digits.length) return a.digits.length - b.digits.length;
    return a.digits < b.digits ? -1 : a.digits > b.digits ? 1 : 0;
  }
  const rankA = 'rank' in a ? a.rank : NUMBER_RANK;
  const rankB = 'rank' in b ? b.rank : NUMBER_RANK;
  return rankA - rankB;
}

/** Equal but for case: the first letter that differs decides, lower case first. */
function compareCase(a: string, b: string): number {
  const lettersA = a.replace(/\d/g, '');
  const lettersB = b.replace(/\d/g, '');
  for (let index = 0; index < lettersA.length; index++) {
    const x = lettersA[index] ?? '';
    const y = lettersB[index] ?? '';
    if (x !== y) return x === x.toLowerCase() ? -1 : 1;
  }
  return 0;
}

export function compareNatural(a: string, b: string): number {
  if (!SIMPLE.test(a) || !SIMPLE.test(b)) return a.localeCompare(b, 'en', { numeric: true });

  const tokensA = tokens(a);
  const tokensB = tokens(b);
  const shared = Math.min(tokensA.length, tokensB.length);
  for (let index = 0; index < shared; index++) {
    const order = compareTokens(tokensA[index] as Token, tokensB[index] as Token);
    if (order !== 0) return Math.sign(order);
  }
  if (tokensA.length !== tokensB.length) return tokensA.length < tokensB.length ? -1 : 1;
  return compareCase(a, b);
}

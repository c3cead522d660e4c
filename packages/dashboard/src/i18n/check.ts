/** Helpers that keep the languages in step; used by the tests, not shipped. */

type Tree = { readonly [key: string]: string | Tree };

/** `{a: {b: 'x'}}` → `{'a.b': 'x'}`. */
export function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const flat = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') flat.set(path, value);
    else for (const [inner, text] of flatten(value, path)) flat.set(inner, text);
  }
  return flat;
}

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((match) => match[1] ?? '').sort();
}

/**
 * Every difference between two languages that would show a raw key or lose a value: keys one
 * has and the other lacks, empty texts, and `{{placeholders}}` that do not match.
 */
export function compareLanguages(
  languages: Record<string, Tree>,
): { language: string; key: string; problem: string }[] {
  const flat = Object.entries(languages).map(
    ([language, tree]) => [language, flatten(tree)] as const,
  );
  const allKeys = new Set(flat.flatMap(([, texts]) => [...texts.keys()]));
  const problems: { language: string; key: string; problem: string }[] = [];
  for (const key of [...allKeys].sort()) {
    const present = flat.filter(([, texts]) => texts.has(key));
    for (const [language, texts] of flat) {
      const text = texts.get(key);
      if (text === undefined) problems.push({ language, key, problem: 'missing' });
      else if (text.trim() === '') problems.push({ language, key, problem: 'empty' });
    }
    const shapes = new Set(
      present.map(([, texts]) => placeholders(texts.get(key) ?? '').join(',')),
    );
    if (shapes.size > 1) {
      for (const [language] of present) problems.push({ language, key, problem: 'placeholders' });
    }
  }
  return problems;
}

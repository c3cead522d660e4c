import type { CommandRunner } from './commands';
import { systemTool, type WindowsPaths } from './paths';

export interface RegistryValue {
  type: string;
  data: string;
}

/**
 * The values of the first key in what `reg query KEY` printed: lines of four-space-indented
 * `NAME    TYPE    DATA`. Names may hold spaces; types are REG_*.
 */
export function parseRegQuery(output: string): Map<string, RegistryValue> {
  const values = new Map<string, RegistryValue>();
  let inFirstKey = false;
  for (const line of output.split(/\r?\n/)) {
    if (/^HKEY_/i.test(line)) {
      if (inFirstKey) break;
      inFirstKey = true;
      continue;
    }
    const match = /^\s+(.+?)\s{2,}(REG_[A-Z_]+)(?:\s{2,}(.*?))?\s*$/.exec(line);
    if (match?.[1] && match[2]) values.set(match[1], { type: match[2], data: match[3] ?? '' });
  }
  return values;
}

/** A REG_DWORD or REG_QWORD as `reg` prints it (`0xa`), or a decimal REG_SZ, as a number. */
export function registryNumber(value: RegistryValue | undefined): number | undefined {
  if (!value) return undefined;
  const text = value.data.trim();
  const parsed = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text, 16) : Number(text);
  return Number.isSafeInteger(parsed) && text !== '' ? parsed : undefined;
}

/**
 * Reads a whole key of HKLM in the 64-bit view (`/reg:64`): a 32-bit view would give another
 * MachineGuid and, on some systems, other version values.
 */
export async function readRegistryKey(
  runner: CommandRunner,
  paths: Pick<WindowsPaths, 'systemRoot'>,
  key: string,
): Promise<Map<string, RegistryValue> | undefined> {
  const result = await runner.run(systemTool(paths, 'reg.exe'), ['query', key, '/reg:64']);
  if (result.code !== 0) return undefined;
  return parseRegQuery(result.stdout);
}

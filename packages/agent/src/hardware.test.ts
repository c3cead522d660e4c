import { describe, expect, it } from 'vitest';
import { parseMachineGuid } from './hardware';

describe('reading MachineGuid from reg query', () => {
  it('finds the value in what Windows and Wine print', () => {
    const output =
      '\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Cryptography\r\n' +
      '    MachineGuid    REG_SZ    371BDB96-703E-4B88-9EB6-D3166555599C\r\n\r\n';
    expect(parseMachineGuid(output)).toBe('371bdb96-703e-4b88-9eb6-d3166555599c');
  });

  it('gives nothing for an error, an empty value or a placeholder', () => {
    expect(
      parseMachineGuid('ERROR: The system was unable to find the specified registry key'),
    ).toBe(undefined);
    expect(
      parseMachineGuid('    MachineGuid    REG_SZ    00000000-0000-0000-0000-000000000000\r\n'),
    ).toBe(undefined);
  });
});

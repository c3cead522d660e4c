import { describe, expect, it } from 'vitest';
import { asciiFileName, contentDisposition, windowsFileName } from './filename';

/** What Windows refuses in a file name (Microsoft's "Naming Files, Paths, and Namespaces"). */
function validOnWindows(name: string): boolean {
  if (/[<>:"/\\|?*\p{Cc}]/u.test(name)) return false;
  if (/[. ]$/.test(name)) return false;
  const stem = name.split('.')[0] ?? '';
  return !/^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i.test(stem) && name.length <= 255;
}

/** The file name a browser takes from a Content-Disposition header (RFC 6266 section 4.3). */
function browserName(header: string): string {
  const extended = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (extended?.[1]) return decodeURIComponent(extended[1]);
  return /filename=([^;\s]+)/.exec(header)?.[1] ?? '';
}

describe('download file names', () => {
  it.each([
    ['optralis-agent-v1.2.0', '.exe', 'optralis-agent-v1.2.0.exe'],
    ['optralis-agent-v1.3.0-beta.2+build.7', '.exe', 'optralis-agent-v1.3.0-beta.2+build.7.exe'],
    ['optralis-agent-Société Générale', '.exe', 'optralis-agent-Société-Générale.exe'],
    ['optralis-agent-A<B>C:D"E/F\\G|H?I*J', '.exe', 'optralis-agent-A-B-C-D-E-F-G-H-I-J.exe'],
    ['optralis-agent-tab\there\u0007bell', '.zip', 'optralis-agent-tab-here-bell.zip'],
    ['optralis-agent-trailing dots...', '.exe', 'optralis-agent-trailing-dots.exe'],
    ['CON', '.exe', '_CON.exe'],
    ['lpt1', '.zip', '_lpt1.zip'],
    ['???', '.exe', 'download.exe'],
    ['optralis-agent-東京支店', '.exe', 'optralis-agent-東京支店.exe'],
  ])('%j becomes %s', (stem, extension, expected) => {
    const name = windowsFileName(stem, extension);
    expect(name).toBe(expected);
    expect(validOnWindows(name)).toBe(true);
  });

  it('keeps long names within what Windows accepts', () => {
    const name = windowsFileName(`optralis-agent-${'é'.repeat(400)}`, '.exe');
    expect(validOnWindows(name)).toBe(true);
    expect(Array.from(name).length).toBe(154);
  });

  it('spells names in ASCII for old clients, still valid on Windows', () => {
    expect(asciiFileName('optralis-agent-Société-Générale-R&D.exe')).toBe(
      'optralis-agent-Societe-Generale-R-D.exe',
    );
    expect(asciiFileName('optralis-agent-東京支店.exe')).toBe('optralis-agent.exe');
    expect(asciiFileName('optralis-agent-Ærø-Ĳssel.exe')).toBe('optralis-agent-r-IJssel.exe');
  });

  it('sends plain names as a bare token and others with filename* as well', () => {
    expect(contentDisposition('optralis-agent-v1.2.0.exe')).toBe(
      'attachment; filename=optralis-agent-v1.2.0.exe',
    );
    const header = contentDisposition('optralis-agent-Société-Générale-R&D.exe');
    expect(header).toBe(
      'attachment; filename=optralis-agent-Societe-Generale-R-D.exe; ' +
        "filename*=UTF-8''optralis-agent-Soci%C3%A9t%C3%A9-G%C3%A9n%C3%A9rale-R&D.exe",
    );
    expect(browserName(header)).toBe('optralis-agent-Société-Générale-R&D.exe');
    // The specification's dashboard reads filename= with this very expression.
    expect(/filename=([^;\s]+)/.exec(header)?.[1]).toBe('optralis-agent-Societe-Generale-R-D.exe');
  });
});

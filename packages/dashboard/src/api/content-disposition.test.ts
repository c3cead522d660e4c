import { describe, expect, it } from 'vitest';
import { filenameFromContentDisposition as name } from './content-disposition';

describe('the file name of a download', () => {
  it('is the plain filename, as a token or a quoted string', () => {
    expect(name('attachment; filename=optralis-agent-v1.2.0.exe')).toBe(
      'optralis-agent-v1.2.0.exe',
    );
    expect(name('attachment; filename="install optralis agent.sh"')).toBe(
      'install optralis agent.sh',
    );
    expect(name('attachment;filename="a;b.exe"; size=3')).toBe('a;b.exe');
    expect(name('attachment; filename="say \\"hi\\".txt"')).toBe('say "hi".txt');
    expect(name('ATTACHMENT; FILENAME="x.exe"')).toBe('x.exe');
  });

  it('prefers filename* (RFC 8187) in either order, decoding UTF-8 and ISO-8859-1', () => {
    expect(
      name(
        `attachment; filename="optralis-agent-Societe.exe"; filename*=UTF-8''optralis-agent-Soci%C3%A9t%C3%A9.exe`,
      ),
    ).toBe('optralis-agent-Société.exe');
    expect(name(`attachment; filename*=utf-8'fr'caf%C3%A9.sh; filename="cafe.sh"`)).toBe('café.sh');
    expect(name(`attachment; filename*=ISO-8859-1''caf%E9.sh`)).toBe('café.sh');
  });

  it('falls back to filename when filename* cannot be decoded', () => {
    expect(name(`attachment; filename*=UTF-8''bad%E9%.exe; filename="good.exe"`)).toBe('good.exe');
    expect(name(`attachment; filename*=KOI8-R''x.exe; filename="good.exe"`)).toBe('good.exe');
    expect(name(`attachment; filename*=no-quotes.exe; filename=good.exe`)).toBe('good.exe');
  });

  it('keeps only a bare name: no folders, no control characters, no dots alone', () => {
    expect(name('attachment; filename="../../etc/passwd"')).toBe('passwd');
    expect(name('attachment; filename="C:\\\\Windows\\\\evil.exe"')).toBe('evil.exe');
    expect(name(`attachment; filename*=UTF-8''..%2F..%2Fx.exe`)).toBe('x.exe');
    expect(name('attachment; filename="a\u0007b.exe"')).toBe('ab.exe');
    expect(name('attachment; filename=".."')).toBeUndefined();
  });

  it('is undefined without a header or a name', () => {
    expect(name(null)).toBeUndefined();
    expect(name('')).toBeUndefined();
    expect(name('attachment')).toBeUndefined();
    expect(name('inline; size=10')).toBeUndefined();
  });
});

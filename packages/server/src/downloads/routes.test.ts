import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest as get } from '../../../../test/support/raw-http';
import { startTestServer, type TestServer } from '../../../../test/support/server';

const NAME = 'optralis-agent-linux-amd64-v1.2.0';

describe('GET /downloads/{channel}/{file}', () => {
  let server: TestServer;
  let base: string;
  let file: Buffer;

  beforeAll(async () => {
    server = await startTestServer();
    base = `${server.publicUrl}/downloads`;
    const stable = path.join(server.config.downloadsDir, 'stable');
    fs.mkdirSync(stable, { recursive: true });
    // Incompressible bytes followed by a compressible run, so both encodings are distinct.
    file = Buffer.concat([crypto.randomBytes(300_000), Buffer.alloc(700_000, 'a')]);
    fs.writeFileSync(path.join(stable, NAME), file);
    fs.writeFileSync(path.join(stable, `${NAME}.gz`), zlib.gzipSync(file));
    fs.writeFileSync(path.join(stable, 'metadata-linux.json'), '{"version":"1.2.0"}\n');
    fs.writeFileSync(path.join(server.config.downloadsDir, 'secret.txt'), 'not for anyone');
    fs.mkdirSync(path.join(server.config.downloadsDir, 'beta'));
    fs.symlinkSync('/etc/hostname', path.join(server.config.downloadsDir, 'beta', 'linked'));
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('sends the whole file with its length, validators and a download name', async () => {
    const answer = await get(`${base}/stable/${NAME}`);
    expect(answer.status).toBe(200);
    expect(answer.body.equals(file)).toBe(true);
    expect(answer.headers['content-length']).toBe(String(file.length));
    expect(answer.headers['content-type']).toBe('application/octet-stream');
    expect(answer.headers['accept-ranges']).toBe('bytes');
    expect(answer.headers.etag).toMatch(/^(W\/)?"[^"]+"$/);
    expect(answer.headers['last-modified']).toBeDefined();
    expect(answer.headers['content-disposition']).toBe(`attachment; filename="${NAME}"`);
    expect(answer.headers['content-encoding']).toBeUndefined();
    expect(answer.headers.vary).toBe('Accept-Encoding');
  });

  it('sends the precompressed build to clients that accept gzip', async () => {
    const answer = await get(`${base}/stable/${NAME}`, { 'accept-encoding': 'br, gzip' });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-encoding']).toBe('gzip');
    expect(Number(answer.headers['content-length'])).toBe(answer.body.length);
    expect(answer.body.length).toBeLessThan(file.length / 2);
    expect(zlib.gunzipSync(answer.body).equals(file)).toBe(true);

    const refused = await get(`${base}/stable/${NAME}`, { 'accept-encoding': 'gzip;q=0' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(refused.body.equals(file)).toBe(true);
  });

  it('sends the file itself when its .gz is older, as after a rebuild that left an old .gz', async () => {
    const stable = path.join(server.config.downloadsDir, 'stable');
    const rebuilt = 'optralis-agent-linux-arm64-v1.2.0';
    const fresh = Buffer.alloc(200_000, 'n');
    fs.writeFileSync(path.join(stable, rebuilt), fresh);
    fs.writeFileSync(path.join(stable, `${rebuilt}.gz`), zlib.gzipSync(Buffer.from('old build')));
    const minuteAgo = new Date(Date.now() - 60_000);
    fs.utimesSync(path.join(stable, `${rebuilt}.gz`), minuteAgo, minuteAgo);

    const answer = await get(`${base}/stable/${rebuilt}`, { 'accept-encoding': 'gzip' });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-encoding']).toBeUndefined();
    expect(answer.headers['content-length']).toBe(String(fresh.length));
    expect(answer.body.equals(fresh)).toBe(true);
  });

  it('resumes with a byte range of the original bytes, even when gzip is accepted', async () => {
    const answer = await get(`${base}/stable/${NAME}`, {
      range: 'bytes=123456-',
      'accept-encoding': 'gzip',
    });
    expect(answer.status).toBe(206);
    expect(answer.headers['content-encoding']).toBeUndefined();
    expect(answer.headers['content-range']).toBe(`bytes 123456-${file.length - 1}/${file.length}`);
    expect(answer.body.equals(file.subarray(123456))).toBe(true);

    const tail = await get(`${base}/stable/${NAME}`, { range: 'bytes=-10' });
    expect(tail.status).toBe(206);
    expect(tail.body.equals(file.subarray(file.length - 10))).toBe(true);
  });

  it('refuses a range beyond the end with 416 and the real size', async () => {
    const answer = await get(`${base}/stable/${NAME}`, { range: `bytes=${file.length + 5}-` });
    expect(answer.status).toBe(416);
    expect(answer.headers['content-range']).toBe(`bytes */${file.length}`);
    expect(JSON.parse(answer.body.toString()).error.code).toBe('range_not_satisfiable');
  });

  it('answers 304 to a client that already has this version', async () => {
    const first = await get(`${base}/stable/${NAME}`);
    const again = await get(`${base}/stable/${NAME}`, {
      'if-none-match': String(first.headers.etag),
    });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('serves metadata as JSON that is never cached stale', async () => {
    const answer = await get(`${base}/stable/metadata-linux.json`);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answer.headers['cache-control']).toBe('no-cache');
    expect(JSON.parse(answer.body.toString())).toEqual({ version: '1.2.0' });
  });

  it('also answers HEAD with the length and no body', async () => {
    const answer = await get(`${base}/stable/${NAME}`, {}, 'HEAD');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-length']).toBe(String(file.length));
    expect(answer.body.length).toBe(0);
  });

  it.each([
    ['an unknown channel', 'nightly/metadata-linux.json', 400, 'invalid_channel'],
    ['a missing file', `stable/${NAME}-missing`, 404, 'not_found'],
    ['an encoded climb out of the channel', 'stable/..%2Fsecret.txt', 404, 'not_found'],
    ['an encoded climb out of the tree', 'stable/..%2F..%2F..%2Fetc%2Fpasswd', 404, 'not_found'],
    ['a dot file', 'stable/.hidden', 404, 'not_found'],
    ['a link out of the directory', 'beta/linked', 404, 'not_found'],
    ['a plain climb', 'stable/../secret.txt', 404, 'not_found'],
  ])('refuses %s', async (_label, target, status, code) => {
    const answer = await get(`${base}/${target}`);
    expect(answer.status).toBe(status);
    expect(JSON.parse(answer.body.toString()).error.code).toBe(code);
    expect(answer.body.toString()).not.toContain('not for anyone');
  });
});

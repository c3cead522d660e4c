import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/server';
import { type Segment, SegmentedBody } from './segmented-body';

const dir = tempDir('segmented-body');
const file = path.join(dir, 'base.bin');
const bytes = crypto.randomBytes(1024 * 1024 + 123);
fs.writeFileSync(file, bytes);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const segments: Segment[] = [
  { kind: 'bytes', bytes: Buffer.from('head') },
  { kind: 'file', start: 0, end: 300_000 },
  { kind: 'bytes', bytes: Buffer.from('middle') },
  { kind: 'file', start: 500_000, end: bytes.length },
  { kind: 'bytes', bytes: Buffer.from('tail') },
];
const expected = Buffer.concat([
  Buffer.from('head'),
  bytes.subarray(0, 300_000),
  Buffer.from('middle'),
  bytes.subarray(500_000),
  Buffer.from('tail'),
]);

describe('a body sent as segments of a file', () => {
  it('arrives whole and in order, each chunk unchanged until the writer is done with it', async () => {
    const handle = await fs.promises.open(file, 'r');
    const received: Buffer[] = [];
    // A slow writer that queues chunks: a buffer read into again before its write called back
    // would change a chunk still waiting in the queue.
    const writer = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, callback) {
        const seen = Buffer.from(chunk);
        setTimeout(() => {
          if (!chunk.equals(seen)) callback(new Error('a chunk changed before it was written'));
          else {
            received.push(seen);
            callback();
          }
        }, 1);
      },
    });
    const finished = new Promise((resolve) => writer.once('finish', resolve));

    expect(await new SegmentedBody(handle, segments).sendTo(writer)).toBe(true);
    await finished;
    expect(Buffer.concat(received).equals(expected)).toBe(true);
    expect(received.length).toBeGreaterThan(5);
    expect(handle.fd).toBe(-1);
  });

  it('stops and closes the file when the client leaves halfway', async () => {
    const handle = await fs.promises.open(file, 'r');
    let sending: Promise<boolean> | undefined;
    const server = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-length': String(expected.length) });
      sending = new SegmentedBody(handle, segments).sendTo(response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await new Promise<void>((resolve, reject) => {
        const request = http.get({ port, host: '127.0.0.1' }, (response) => {
          response.once('data', () => {
            request.destroy();
            resolve();
          });
        });
        request.on('error', (error) => (request.destroyed ? undefined : reject(error)));
      });
      expect(await sending).toBe(false);
      expect(handle.fd).toBe(-1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('fails and closes the file when the file is shorter than its segments', async () => {
    const handle = await fs.promises.open(file, 'r');
    const beyond: Segment[] = [{ kind: 'file', start: 0, end: bytes.length + 10 }];
    const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    await expect(new SegmentedBody(handle, beyond).sendTo(sink)).rejects.toThrow(/shrank/);
    expect(handle.fd).toBe(-1);
  });
});

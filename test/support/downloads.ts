import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface DownloadsServer {
  url: string;
  /** Range requests seen, as `file bytes=N-`. */
  ranges: string[];
  /** Requests served so far. */
  requests(): number;
  /** Bytes to serve instead of a file's own (an attacker on the download path). */
  replace: Map<string, Buffer>;
  close(): Promise<void>;
}

/**
 * A download server on the attacker's side of the path: serves `dir/{channel}/{file}` with byte
 * ranges like the real one, and lets a test swap a file's bytes for its own.
 */
export async function serveDownloads(dir: string): Promise<DownloadsServer> {
  const ranges: string[] = [];
  const replace = new Map<string, Buffer>();
  let requests = 0;
  const server = http.createServer((request, response) => {
    requests += 1;
    const match = /^\/downloads\/(stable|beta)\/([A-Za-z0-9._+-]+)$/.exec(request.url ?? '');
    const name = match ? `${match[1]}/${match[2]}` : '';
    const file = path.join(dir, name);
    if (!match || (!replace.has(name) && !fs.existsSync(file))) {
      response.writeHead(404).end();
      return;
    }
    const body = replace.get(name) ?? fs.readFileSync(file);
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    if (range) {
      ranges.push(`${name} ${request.headers.range}`);
      const start = Number(range[1]);
      response.writeHead(206, {
        'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
        'content-length': body.length - start,
      });
      response.end(body.subarray(start));
      return;
    }
    response.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ranges,
    requests: () => requests,
    replace,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// Baseline for downloads: a bare Node http server that streams one file from disk, with the
// same read size as the product's downloads. It sends its port, then runs until killed.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readInput } from '../lib/input';

const { file } = await readInput<{ file: string }>();
const size = fs.statSync(file).size;
const READ_CHUNK_BYTES = 256 * 1024;

const server = http.createServer((request, response) => {
  if (request.url !== '/file') {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': size,
  });
  fs.createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }).pipe(response);
});
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));

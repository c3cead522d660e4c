import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { type InstallerPayload, payloadFiles } from '@optralis/protocol/installer-payload';
import yazl from 'yazl';
import { installScript, readme } from './fallback-files';

export interface FallbackZipRequest {
  payload: InstallerPayload;
  clientName: string;
  machines: number;
  /** The base executable, put in as `optralis-agent.exe` unchanged (its signature intact). */
  executable?: { handle: FileHandle; size: number };
  mtime: Date;
}

export interface FallbackZip {
  body: Readable;
  length: number;
}

/**
 * The specification's fallback ZIP: config.json, ca.crt, the token (or the certificate and
 * key), install.ps1, README.txt and, when there is one, optralis-agent.exe streamed from disk.
 * Entries are stored, not compressed, so that the length is known before the first byte.
 */
export function buildFallbackZip(request: FallbackZipRequest): Promise<FallbackZip> {
  const zip = new yazl.ZipFile();
  // A client that leaves mid-download closes the file under the reader: end quietly.
  zip.on('error', (error: Error) => (zip.outputStream as Readable).destroy(error));
  const options = { mtime: request.mtime, compress: false };
  const { executable } = request;
  if (executable) {
    zip.addReadStreamLazy(
      'optralis-agent.exe',
      { ...options, size: executable.size },
      (callback) => {
        const stream = executable.handle.createReadStream({
          start: 0,
          end: executable.size - 1,
          highWaterMark: 256 * 1024,
        });
        callback(null, stream);
      },
    );
  }
  for (const [name, bytes] of Object.entries(payloadFiles(request.payload))) {
    zip.addBuffer(Buffer.from(bytes), name, options);
  }
  zip.addBuffer(Buffer.from(installScript(), 'utf8'), 'install.ps1', options);
  const text = readme({
    clientName: request.clientName,
    config: request.payload.config,
    machines: request.machines,
    withExecutable: executable !== undefined,
  });
  zip.addBuffer(Buffer.from(text, 'utf8'), 'README.txt', options);

  return new Promise((resolve) => {
    zip.end(undefined, ((length: number) => {
      const body = zip.outputStream as Readable;
      // The handle closes with its read stream; close it too if the client leaves first.
      body.once('close', () => executable?.handle.close().catch(() => {}));
      resolve({ body, length });
    }) as () => void);
  });
}

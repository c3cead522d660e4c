import fs from 'node:fs';
import {
  type InstallerPayload,
  locatePayload,
  PayloadDamagedError,
  readPayloadZip,
} from '@optralis/protocol/installer-payload';
import { AgentError } from '../errors';

export type { InstallerPayload, PayloadConfig } from '@optralis/protocol/installer-payload';

/** Exit status for a damaged payload: EX_DATAERR. */
const DAMAGED_EXIT = 65;

/**
 * The running program's own file when it is a single executable (where the payload lives);
 * undefined when it runs as a script under `node`, whose binary carries no payload.
 */
function ownExecutable(): string | undefined {
  const sea = process.getBuiltinModule?.('node:sea') as { isSea(): boolean } | undefined;
  return sea?.isSea() ? process.execPath : undefined;
}

/**
 * The payload of a personalized installer: of `exePath`, or of this program's own executable.
 * Undefined when the file carries none. Throws AgentError `payload_damaged` when it carries one
 * that is truncated or altered (the file was cut short or changed after download).
 * The format is in packages/protocol/src/installer-payload/README.md.
 */
export function readOwnPayload(exePath?: string): InstallerPayload | undefined {
  const file = exePath ?? ownExecutable();
  if (!file) return undefined;
  const handle = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(handle).size;
    const zip = locatePayload({
      size,
      read(position, length) {
        const bytes = Buffer.alloc(Math.max(0, Math.min(length, size - position)));
        const got = fs.readSync(handle, bytes, 0, bytes.length, position);
        return bytes.subarray(0, got);
      },
    });
    return zip ? readPayloadZip(zip) : undefined;
  } catch (error) {
    if (error instanceof PayloadDamagedError) {
      throw new AgentError('payload_damaged', `${file}: ${error.message}`, DAMAGED_EXIT);
    }
    throw error;
  } finally {
    fs.closeSync(handle);
  }
}

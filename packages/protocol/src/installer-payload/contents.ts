import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { z } from 'zod';
import { channelSchema } from '../platform';
import { type ReleaseKeyInfo, releaseKeyInfoSchema } from '../release-statement';
import { pemSchema, plainText } from '../text';
import { PayloadDamagedError } from './format';

/** The files of the payload ZIP (and of the fallback ZIP, which adds install.ps1 and README). */
export const PAYLOAD_FILES = {
  config: 'config.json',
  ca: 'ca.crt',
  token: 'token.txt',
  certificate: 'client.crt',
  key: 'client.key',
  releaseKey: 'release-key.json',
} as const;

/** No file of a payload comes near this; a larger one is refused rather than inflated. */
const MAX_FILE_BYTES = 64 * 1024;

/**
 * `config.json` of a payload: where the agent goes and how it enrolls. `token` mode (the
 * default) trades the 24-hour token for a certificate made on the machine; `certificate` mode
 * carries a certificate and key already issued for one machine.
 */
export const payloadConfigSchema = z.object({
  mode: z.enum(['token', 'certificate']),
  api_url: z.string().url().max(2048),
  public_url: z.string().url().max(2048),
  channel: channelSchema,
  client_id: z.string().min(1).max(64),
  /** Certificate mode: the machine the certificate names. */
  machine_id: z.string().min(1).max(64).optional(),
  /** Token mode: the token's id (not the token), for support and the audit trail. */
  token_id: z.string().min(1).max(64).optional(),
  /** When the token or certificate stops being usable. */
  expires_at: z.iso.datetime().optional(),
  created_at: z.iso.datetime(),
});

export type PayloadConfig = z.infer<typeof payloadConfigSchema>;

/** Everything a personalized installer carries. */
export interface InstallerPayload {
  config: PayloadConfig;
  /** PEM of the Optralis CA (the trust bundle during a rotation): it pins the agent API. */
  caCert: string;
  /** Token mode: the install token. */
  token?: string;
  /** Certificate mode: the machine's certificate and private key. */
  clientCert?: string;
  clientKey?: string;
  /** The key that signs update offers; the enrollment answer must carry the same one. */
  releaseKey?: ReleaseKeyInfo;
}

function json(value: unknown): Uint8Array {
  return strToU8(`${JSON.stringify(value, null, 2)}\n`);
}

/** The payload's files by name, checked for completeness. */
export function payloadFiles(payload: InstallerPayload): Record<string, Uint8Array> {
  checkComplete(payload);
  const files: Record<string, Uint8Array> = {
    [PAYLOAD_FILES.config]: json(payloadConfigSchema.parse(payload.config)),
    [PAYLOAD_FILES.ca]: strToU8(payload.caCert),
  };
  if (payload.token !== undefined) files[PAYLOAD_FILES.token] = strToU8(`${payload.token}\n`);
  if (payload.clientCert !== undefined)
    files[PAYLOAD_FILES.certificate] = strToU8(payload.clientCert);
  if (payload.clientKey !== undefined) files[PAYLOAD_FILES.key] = strToU8(payload.clientKey);
  if (payload.releaseKey !== undefined) files[PAYLOAD_FILES.releaseKey] = json(payload.releaseKey);
  return files;
}

/** The payload ZIP. Times are fixed to `mtime` so that equal payloads give equal bytes. */
export function buildPayloadZip(payload: InstallerPayload, mtime: Date): Uint8Array {
  return zipSync(payloadFiles(payload), { level: 6, mtime });
}

function checkComplete(payload: InstallerPayload): void {
  const { config } = payload;
  if (config.mode === 'token' && !payload.token) {
    throw new PayloadDamagedError('token mode without a token');
  }
  if (config.mode === 'certificate') {
    if (!payload.clientCert || !payload.clientKey || !config.machine_id) {
      throw new PayloadDamagedError('certificate mode without a certificate, key and machine');
    }
  }
}

function text(files: Record<string, Uint8Array>, name: string): string | undefined {
  const bytes = files[name];
  return bytes === undefined ? undefined : strFromU8(bytes);
}

function parsed<S extends z.ZodType>(schema: S, value: unknown, name: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new PayloadDamagedError(`${name}: ${issue?.path.join('.') || 'value'} ${issue?.message}`);
  }
  return result.data;
}

function parseJson(source: string | undefined, name: string): unknown {
  if (source === undefined) throw new PayloadDamagedError(`${name} is missing`);
  try {
    return JSON.parse(source);
  } catch {
    throw new PayloadDamagedError(`${name} is not JSON`);
  }
}

/** Reads and checks a payload ZIP; anything missing, oversized or malformed is "damaged". */
export function readPayloadZip(zip: Uint8Array): InstallerPayload {
  const known = new Set<string>(Object.values(PAYLOAD_FILES));
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip, {
      filter: (file) => known.has(file.name) && file.originalSize <= MAX_FILE_BYTES,
    });
  } catch (error) {
    throw new PayloadDamagedError(`the ZIP cannot be read: ${(error as Error).message}`);
  }
  const config = parsed(
    payloadConfigSchema,
    parseJson(text(files, 'config.json'), 'config.json'),
    'config.json',
  );
  const caCert = parsed(pemSchema, text(files, PAYLOAD_FILES.ca), PAYLOAD_FILES.ca);
  const payload: InstallerPayload = { config, caCert };

  const token = text(files, PAYLOAD_FILES.token)?.trim();
  if (token !== undefined) payload.token = parsed(plainText(256), token, PAYLOAD_FILES.token);
  const certificate = text(files, PAYLOAD_FILES.certificate);
  if (certificate !== undefined) {
    payload.clientCert = parsed(pemSchema, certificate, PAYLOAD_FILES.certificate);
  }
  const key = text(files, PAYLOAD_FILES.key);
  if (key !== undefined) payload.clientKey = parsed(pemSchema, key, PAYLOAD_FILES.key);
  const releaseKey = text(files, PAYLOAD_FILES.releaseKey);
  if (releaseKey !== undefined) {
    const value = parseJson(releaseKey, PAYLOAD_FILES.releaseKey);
    payload.releaseKey = parsed(releaseKeyInfoSchema, value, PAYLOAD_FILES.releaseKey);
  }
  checkComplete(payload);
  return payload;
}

import { z } from 'zod';
import { channelSchema } from './platform';

/** SemVer 2.0.0: three numbers without leading zeros, optional pre-release and build parts. */
const NUMBER = '(?:0|[1-9]\\d*)';
const PRERELEASE_ID = `(?:${NUMBER}|\\d*[A-Za-z-][0-9A-Za-z-]*)`;
const SEMVER = new RegExp(
  `^${NUMBER}\\.${NUMBER}\\.${NUMBER}` +
    `(?:-${PRERELEASE_ID}(?:\\.${PRERELEASE_ID})*)?` +
    '(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$',
);

export const semverSchema = z.string().max(64).regex(SEMVER, 'must be a semantic version');

/** A file name inside a channel directory: no separators, no leading dot. */
export const downloadFileNameSchema = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'must be a plain file name');

/** SHA-256 in hex; readers accept upper case (PowerShell writes it) and keep lower case. */
export const sha256Schema = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hexadecimal digits')
  .transform((value) => value.toLowerCase());

const fileSize = z
  .number()
  .int()
  .min(1)
  .max(2 ** 40);
const buildTime = z.iso.datetime({ offset: true });

export const releaseFileSchema = z.object({
  filename: downloadFileNameSchema,
  checksum_sha256: sha256Schema,
  file_size_bytes: fileSize,
});

/** `metadata-windows.json`, as the specification shows it. */
export const windowsReleaseMetadataSchema = z.object({
  version: semverSchema,
  channel: channelSchema,
  platform: z.literal('windows'),
  architecture: z.enum(['amd64', 'arm64']),
  filename: downloadFileNameSchema,
  checksum_sha256: sha256Schema,
  file_size_bytes: fileSize,
  build_time: buildTime,
});

/** `metadata-linux.json`: one entry per architecture the build produced. */
export const linuxReleaseMetadataSchema = z.object({
  version: semverSchema,
  channel: channelSchema,
  platform: z.literal('linux'),
  architectures: z
    .object({ amd64: releaseFileSchema.optional(), arm64: releaseFileSchema.optional() })
    .refine((value) => value.amd64 || value.arm64, 'must list at least one architecture'),
  build_time: buildTime,
});

export type WindowsReleaseMetadata = z.infer<typeof windowsReleaseMetadataSchema>;
export type LinuxReleaseMetadata = z.infer<typeof linuxReleaseMetadataSchema>;

export const RELEASE_METADATA_FILES = {
  linux: 'metadata-linux.json',
  windows: 'metadata-windows.json',
} as const;

export type ReleaseMetadataProblem = 'utf16' | 'not_utf8' | 'bad_json' | 'invalid';

/** A metadata file that cannot be used; the message names the file and what is wrong. */
export class ReleaseMetadataError extends Error {
  readonly file: string;
  readonly problem: ReleaseMetadataProblem;

  constructor(file: string, problem: ReleaseMetadataProblem, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'ReleaseMetadataError';
    this.file = file;
    this.problem = problem;
  }
}

function decode(bytes: Uint8Array, file: string): string {
  const [a, b, c] = bytes;
  if ((a === 0xff && b === 0xfe) || (a === 0xfe && b === 0xff) || bytes.includes(0)) {
    throw new ReleaseMetadataError(file, 'utf16', 'is UTF-16; write it as UTF-8 without a BOM');
  }
  // A UTF-8 byte order mark, as PowerShell's Out-File writes, is tolerated and dropped.
  const start = a === 0xef && b === 0xbb && c === 0xbf ? 3 : 0;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start));
  } catch {
    throw new ReleaseMetadataError(file, 'not_utf8', 'is not valid UTF-8');
  }
}

function parse<S extends z.ZodType>(schema: S, bytes: Uint8Array, file: string): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(decode(bytes, file));
  } catch (error) {
    if (error instanceof ReleaseMetadataError) throw error;
    throw new ReleaseMetadataError(
      file,
      'bad_json',
      `is not valid JSON (${(error as Error).message})`,
    );
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new ReleaseMetadataError(file, 'invalid', `${where}${issue?.message ?? 'is not valid'}`);
  }
  return result.data;
}

/** Reads `metadata-linux.json` from its bytes; `file` names it in errors. */
export function parseLinuxReleaseMetadata(bytes: Uint8Array, file: string): LinuxReleaseMetadata {
  return parse(linuxReleaseMetadataSchema, bytes, file);
}

/** Reads `metadata-windows.json` from its bytes; `file` names it in errors. */
export function parseWindowsReleaseMetadata(
  bytes: Uint8Array,
  file: string,
): WindowsReleaseMetadata {
  return parse(windowsReleaseMetadataSchema, bytes, file);
}

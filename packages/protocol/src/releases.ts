import { z } from 'zod';
import { architectureSchema, channelSchema, platformSchema } from './platform';
import { semverSchema, sha256Schema } from './release-metadata';
import { plainText } from './text';

const fileSize = z
  .number()
  .int()
  .min(1)
  .max(2 ** 40);
const httpUrl = z
  .string()
  .max(2048)
  .url()
  .refine((value) => /^https?:\/\//i.test(value), 'must be an http(s) URL');
const isoTime = z.iso.datetime({ offset: true });
const percent = z.number().int().min(0).max(100);

/** `POST /api/agent-versions`: the table's field names, as the spec's modal sends them. */
export const createAgentVersionRequestSchema = z
  .object({
    version: semverSchema,
    channel: channelSchema.default('stable'),
    platform: platformSchema,
    architecture: architectureSchema.default('amd64'),
    checksum_sha256: sha256Schema,
    file_size_bytes: fileSize,
    download_url: httpUrl,
    release_date: isoTime.optional(),
    is_active: z.boolean().default(true),
    /** Share of machines (by a stable hash of their id) that are offered this release. */
    rollout_percent: percent.default(100),
    /** A paused release is offered to no machine, whatever its percentage. */
    rollout_paused: z.boolean().default(false),
  })
  .strict();

/** `PATCH /api/agent-versions/:id`: any of the fields; what is absent is kept. */
export const updateAgentVersionRequestSchema = z
  .object({
    version: semverSchema,
    channel: channelSchema,
    platform: platformSchema,
    architecture: architectureSchema,
    checksum_sha256: sha256Schema,
    file_size_bytes: fileSize,
    download_url: httpUrl,
    release_date: isoTime,
    is_active: z.boolean(),
    rollout_percent: percent,
    rollout_paused: z.boolean(),
  })
  .partial()
  .strict();

export type CreateAgentVersionRequest = z.input<typeof createAgentVersionRequestSchema>;
export type UpdateAgentVersionRequest = z.input<typeof updateAgentVersionRequestSchema>;

export const agentVersionSchema = z.object({
  id: z.string(),
  version: z.string(),
  channel: channelSchema,
  platform: platformSchema,
  architecture: architectureSchema,
  checksum_sha256: z.string(),
  file_size_bytes: z.number(),
  download_url: z.string(),
  release_date: z.string(),
  is_active: z.boolean(),
  rollout_percent: z.number(),
  rollout_paused: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});

/** A version with its statistics, as the updates page lists it. */
export const listedAgentVersionSchema = agentVersionSchema.extend({
  /** Machines (of the reader's scope) whose last heartbeat reported this version. */
  machine_count: z.number(),
});

export const listAgentVersionsResponseSchema = z.object({
  versions: z.array(listedAgentVersionSchema),
});

export type AgentVersion = z.infer<typeof agentVersionSchema>;
export type ListedAgentVersion = z.infer<typeof listedAgentVersionSchema>;

/** One file offered by a metadata file of the downloads directory. */
export const availableDownloadSchema = z.object({
  version: z.string(),
  channel: channelSchema,
  platform: platformSchema,
  architecture: architectureSchema,
  filename: z.string(),
  checksum_sha256: z.string(),
  file_size_bytes: z.number(),
  build_time: z.string(),
  download_url: z.string(),
  /** The metadata file it comes from, relative to the downloads directory. */
  source: z.string(),
  /** Whether a version row with the same version, channel, platform and architecture exists. */
  imported: z.boolean(),
  agent_version_id: z.string().nullable(),
});

/** A metadata file that could not be read; the others are still listed. */
export const metadataFileErrorSchema = z.object({
  file: z.string(),
  /** The last three are about the file a metadata file describes (checked on import). */
  problem: z.enum([
    'utf16',
    'not_utf8',
    'bad_json',
    'invalid',
    'unreadable',
    'missing',
    'size_mismatch',
    'checksum_mismatch',
  ]),
  message: z.string(),
});

export const availableDownloadsResponseSchema = z.object({
  downloads: z.array(availableDownloadSchema),
  errors: z.array(metadataFileErrorSchema),
});

/** `POST /api/agent-versions/import`: creates the rows of what is not imported yet. */
export const importAgentVersionsRequestSchema = z
  .object({
    channel: channelSchema.optional(),
    platform: platformSchema.optional(),
    architecture: architectureSchema.optional(),
    version: semverSchema.optional(),
    is_active: z.boolean().default(true),
    rollout_percent: percent.default(100),
  })
  .strict();

export const importAgentVersionsResponseSchema = z.object({
  imported: z.array(agentVersionSchema),
  /** Files that matched but already had a row. */
  already_imported: z.array(z.string()),
  errors: z.array(metadataFileErrorSchema),
});

export type AvailableDownload = z.infer<typeof availableDownloadSchema>;
export type MetadataFileError = z.infer<typeof metadataFileErrorSchema>;

/** `GET /api/agent/latest-version`: the spec's three parameters and their defaults. */
export const latestVersionQuerySchema = z
  .object({
    channel: channelSchema.default('stable'),
    platform: platformSchema.default('windows'),
    architecture: architectureSchema.default('amd64'),
  })
  .strict();

export const latestVersionResponseSchema = z.object({
  version: z.string(),
  channel: channelSchema,
  platform: platformSchema,
  architecture: architectureSchema,
  download_url: z.string(),
  checksum_sha256: z.string(),
  file_size_bytes: z.number(),
  release_date: z.string(),
});

/** `GET /agent/requirements`: what the installers check before installing. */
export const agentRequirementsSchema = z.object({
  /** Lowest Windows build number (10.0.x) the installer accepts; 17763 = Windows 10 LTSC 2019. */
  min_windows_version: z.number().int().min(1).max(1_000_000),
  message: z.string().nullable(),
});

export const updateAgentRequirementsRequestSchema = z
  .object({
    min_windows_version: z.number().int().min(1).max(1_000_000),
    message: plainText(1000).nullable().default(null),
  })
  .strict();

export const DEFAULT_MIN_WINDOWS_BUILD = 17763;

export type AgentRequirements = z.infer<typeof agentRequirementsSchema>;

/** `PUT /api/agent-versions/pin`: hold a client's machines at a version (null: no pin). */
export const versionPinRequestSchema = z.object({ version: semverSchema.nullable() }).strict();
export const versionPinResponseSchema = z.object({
  client_id: z.string(),
  version: z.string().nullable(),
});

/** `PUT /api/machines/:id/channel`: which channel's releases a machine is offered. */
export const machineChannelRequestSchema = z.object({ channel: channelSchema }).strict();

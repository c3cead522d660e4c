import type {
  AgentVersion,
  AvailableDownload,
  CreateAgentVersionRequest,
  importAgentVersionsRequestSchema,
  ListedAgentVersion,
  MetadataFileError,
  UpdateAgentVersionRequest,
} from '@optralis/protocol';
import type { Transaction } from 'kysely';
import type { z } from 'zod';
import { recordAudit } from '../audit/store';
import type { AppContext } from '../context';
import { isUniqueViolation } from '../db/database';
import type { Database } from '../db/schema';
import { AppError } from '../errors';
import { newId } from '../ids';
import { checkOfferedFile, localDownload } from './file-check';
import { downloadUrl, readDownloads } from './metadata';
import { forgetCatalogue } from './offer-service';
import {
  type AgentVersionRow,
  countMachinesByVersion,
  deleteAgentVersion,
  findAgentVersion,
  insertAgentVersion,
  listAgentVersions,
  raiseCatalogueSequence,
  toAgentVersion,
  updateAgentVersion,
} from './store';

type Ctx = Pick<AppContext, 'db' | 'clock' | 'urls' | 'config'>;
type CreateInput = Required<Omit<CreateAgentVersionRequest, 'release_date'>> & {
  release_date?: string | undefined;
};
type ImportInput = z.infer<typeof importAgentVersionsRequestSchema>;

const bit = (value: boolean) => (value ? 1 : 0);

/** Adds a version; the same version, channel, platform and architecture twice is a 409. */
export async function createAgentVersion(
  ctx: Ctx,
  input: CreateInput,
  actor: string,
): Promise<AgentVersion> {
  await checkLocalFile(ctx, input);
  return insertVersion(ctx, input, actor);
}

/** Writes a version row whose file, when this server serves it, was checked. */
async function insertVersion(ctx: Ctx, input: CreateInput, actor: string): Promise<AgentVersion> {
  const now = ctx.clock();
  const row: AgentVersionRow = {
    id: newId(),
    version: input.version,
    channel: input.channel,
    platform: input.platform,
    architecture: input.architecture,
    checksum_sha256: input.checksum_sha256,
    file_size_bytes: input.file_size_bytes,
    download_url: input.download_url,
    release_date: input.release_date ?? now.toISOString(),
    is_active: bit(input.is_active),
    created_at: now.toISOString(),
    rollout_percent: input.rollout_percent,
    rollout_paused: bit(input.rollout_paused),
    updated_at: now.toISOString(),
  };
  await writeChange(ctx, async (trx) => insertAgentVersion(trx, row));
  await audit(ctx, actor, 'release.created', row.id, describeRow(row), now);
  return toAgentVersion(row);
}

export async function editAgentVersion(
  ctx: Ctx,
  id: string,
  changes: UpdateAgentVersionRequest,
  actor: string,
): Promise<AgentVersion> {
  const row = await findAgentVersion(ctx.db, id);
  if (!row) throw new AppError('not_found');
  const { is_active, rollout_paused, ...rest } = changes;
  // A new file, size or hash is checked like a new row; other edits leave the file alone.
  const file = ['download_url', 'file_size_bytes', 'checksum_sha256'] as const;
  if (file.some((field) => changes[field] !== undefined)) {
    await checkLocalFile(ctx, {
      download_url: rest.download_url ?? row.download_url,
      file_size_bytes: rest.file_size_bytes ?? Number(row.file_size_bytes),
      checksum_sha256: rest.checksum_sha256 ?? row.checksum_sha256,
    });
  }
  const now = ctx.clock();
  const values: Partial<AgentVersionRow> = {
    ...rest,
    ...(is_active === undefined ? {} : { is_active: bit(is_active) }),
    ...(rollout_paused === undefined ? {} : { rollout_paused: bit(rollout_paused) }),
    updated_at: now.toISOString(),
  };
  await writeChange(ctx, async (trx) => updateAgentVersion(trx, id, values));
  await audit(ctx, actor, 'release.updated', id, { ...describeRow(row), changes }, now);
  return toAgentVersion({ ...row, ...values });
}

/** The field to correct for a problem of the file. */
function fieldAtFault(problem: MetadataFileError['problem']): string {
  if (problem === 'size_mismatch') return 'file_size_bytes';
  if (problem === 'checksum_mismatch') return 'checksum_sha256';
  return 'download_url';
}

/**
 * A version whose URL points into this server's downloads gets the checks an import makes:
 * the file is there with the size and SHA-256 given. A URL elsewhere cannot be checked here.
 */
async function checkLocalFile(
  ctx: Ctx,
  version: { download_url: string; file_size_bytes: number; checksum_sha256: string },
): Promise<void> {
  const target = localDownload(ctx.urls.publicUrl, version.download_url);
  if (!target) return;
  const described = {
    ...target,
    file_size_bytes: version.file_size_bytes,
    checksum_sha256: version.checksum_sha256,
  };
  const problem = await checkOfferedFile(ctx.config.downloadsDir, described, 'the version');
  if (problem) {
    throw new AppError('release_file_mismatch', problem.message, fieldAtFault(problem.problem));
  }
}

export async function removeAgentVersion(ctx: Ctx, id: string, actor: string): Promise<void> {
  const row = await findAgentVersion(ctx.db, id);
  if (!row) throw new AppError('not_found');
  const now = ctx.clock();
  await writeChange(ctx, async (trx) => {
    await deleteAgentVersion(trx, id);
  });
  await audit(ctx, actor, 'release.deleted', id, describeRow(row), now);
}

/** Versions, newest first, each with the number of machines of `scope` that run it. */
export async function listVersionsWithStatistics(
  ctx: Ctx,
  scope: string | null,
  platform?: string,
): Promise<ListedAgentVersion[]> {
  const [rows, counts] = await Promise.all([
    listAgentVersions(ctx.db, platform),
    countMachinesByVersion(ctx.db, scope),
  ]);
  return rows.map((row) => ({
    ...toAgentVersion(row),
    machine_count: counts
      .filter((count) => count.agent_version === row.version)
      .filter((count) => count.platform === row.platform && count.arch === row.architecture)
      .reduce((sum, count) => sum + count.count, 0),
  }));
}

/** What the metadata files of the downloads directory offer, each marked if imported. */
export async function availableDownloads(
  ctx: Ctx,
): Promise<{ downloads: AvailableDownload[]; errors: MetadataFileError[] }> {
  const listing = readDownloads(ctx.config.downloadsDir);
  const rows = await listAgentVersions(ctx.db);
  const downloads = listing.files.map((file) => {
    const row = rows.find(
      (candidate) =>
        candidate.version === file.version &&
        candidate.channel === file.channel &&
        candidate.platform === file.platform &&
        candidate.architecture === file.architecture,
    );
    return {
      ...file,
      download_url: downloadUrl(ctx.urls.publicUrl, file.channel, file.filename),
      imported: row !== undefined,
      agent_version_id: row?.id ?? null,
    };
  });
  return { downloads, errors: listing.errors };
}

/** "Importer depuis serveur": a row for every matching file that has none yet. */
export async function importDownloads(ctx: Ctx, filter: ImportInput, actor: string) {
  const { downloads, errors } = await availableDownloads(ctx);
  const matching = downloads.filter(
    (file) =>
      (!filter.channel || file.channel === filter.channel) &&
      (!filter.platform || file.platform === filter.platform) &&
      (!filter.architecture || file.architecture === filter.architecture) &&
      (!filter.version || file.version === filter.version),
  );
  const imported: AgentVersion[] = [];
  const alreadyImported: string[] = [];
  const problems = [...errors];
  for (const file of matching) {
    const name = `${file.channel}/${file.filename}`;
    if (file.imported) {
      alreadyImported.push(name);
      continue;
    }
    // The file itself, before a row sends agents to it; a bad one never stops the others.
    const problem = await checkOfferedFile(ctx.config.downloadsDir, file);
    if (problem) {
      problems.push(problem);
      continue;
    }
    try {
      const input = {
        ...file,
        release_date: file.build_time,
        is_active: filter.is_active,
        rollout_percent: filter.rollout_percent,
        rollout_paused: false,
      };
      imported.push(await insertVersion(ctx, input, actor));
    } catch (error) {
      // Imported by someone else between the listing and now.
      if (!(error instanceof AppError && error.code === 'release_exists')) throw error;
      alreadyImported.push(name);
    }
  }
  return { imported, already_imported: alreadyImported, errors: problems };
}

/** Writes a change and raises the catalogue sequence in one transaction. */
async function writeChange(ctx: Ctx, write: (trx: Transaction<Database>) => Promise<unknown>) {
  try {
    await ctx.db.transaction().execute(async (trx) => {
      await write(trx);
      await raiseCatalogueSequence(trx, ctx.clock());
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('release_exists');
    throw error;
  }
  forgetCatalogue(ctx);
}

function describeRow(row: AgentVersionRow) {
  return {
    version: row.version,
    channel: row.channel,
    platform: row.platform,
    architecture: row.architecture,
  };
}

async function audit(
  ctx: Ctx,
  actor: string,
  action: string,
  subject: string,
  details: Record<string, unknown>,
  now: Date,
) {
  // Releases are the product's, not a client's: their events belong to no client.
  await recordAudit(ctx.db, { clientId: null, actor, action, subject, details }, now);
}

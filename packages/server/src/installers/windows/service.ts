import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import semver from 'semver';
import { recordAudit } from '../../audit/store';
import { findClient } from '../../clients/store';
import type { AppContext } from '../../context';
import { AppError } from '../../errors';
import { SegmentedBody } from '../../http/segmented-body';
import { listActiveReleases } from '../../releases/store';
import { windowsFileName } from '../filename';
import type { BaseAnalysis } from './analysis';
import { type OpenBase, WindowsBases } from './base';
import { buildFallbackZip } from './fallback-zip';
import { DeflateCache, gzipLayout } from './gzip';
import { makeWindowsPayload } from './payload';
import { personalize } from './personalize';

export interface WindowsInstallerRequest {
  clientId: string;
  userId: string;
  mode: 'token' | 'certificate';
  maxUsage: number;
  format: 'exe' | 'zip';
  acceptsGzip: boolean;
  sourceIp: string;
}

export interface InstallerDownload {
  fileName: string;
  contentType: string;
  length: number;
  encoding?: 'gzip';
  /** The ZIP as a stream; the executable as segments of the base, sent without copies. */
  body: Readable | SegmentedBody;
}

const EXE_TYPE = 'application/vnd.microsoft.portable-executable';

/**
 * Personalized Windows installers: the base executable with a new payload for every download,
 * streamed from disk, or the fallback ZIP when there is no usable base (or one is asked for).
 * With no Windows build at all the answer is windows_build_unavailable, never an empty ZIP.
 */
export class WindowsInstallers {
  private readonly bases: WindowsBases;
  private readonly deflate: DeflateCache;

  constructor(private readonly ctx: AppContext) {
    this.bases = new WindowsBases({
      stubPath: ctx.config.stubPathWindows,
      downloadsDir: ctx.config.downloadsDir,
      log: ctx.log,
    });
    this.deflate = new DeflateCache(path.join(ctx.config.dataDir, 'cache', 'windows-installers'));
  }

  async generate(request: WindowsInstallerRequest): Promise<InstallerDownload> {
    const client = await findClient(this.ctx.db, request.clientId);
    if (!client) throw new AppError('not_found');
    const lookup = await this.bases.open();
    // Neither a build to send nor one install.ps1 could download: a ZIP would only fail on
    // every machine. Refused before a token or certificate is made for nothing.
    if ('missing' in lookup && !lookup.downloadable) {
      this.ctx.log.warn({ reason: lookup.missing }, 'no Windows build to make an installer from');
      throw new AppError('windows_build_unavailable');
    }
    const base = 'found' in lookup ? lookup.found : undefined;
    let download: InstallerDownload | undefined;
    try {
      const made = await makeWindowsPayload(this.ctx, {
        clientId: request.clientId,
        actor: `user:${request.userId}`,
        mode: request.mode,
        maxUsage: request.maxUsage,
        sourceIp: request.sourceIp,
      });
      const version = base ? await this.releaseVersion(base.analysis) : undefined;
      // Without a stable version the EXE is named after the client's id, as the specification
      // says; the ZIP, which an administrator passes around the client's machines, after the
      // client's name (made valid on Windows, its exact spelling in filename*).
      const byId = `optralis-agent-${client.id}`;
      const exeStem = version ? `optralis-agent-v${version}` : byId;
      const zipStem = version ? `optralis-agent-v${version}` : `optralis-agent-${client.name}`;
      const machines = request.mode === 'certificate' ? 1 : request.maxUsage;

      if (base && request.format === 'exe') {
        download = await this.executable(base, made.zip, request.acceptsGzip);
        download.fileName = windowsFileName(exeStem, '.exe', byId);
      } else {
        const zip = await buildFallbackZip({
          payload: made.payload,
          clientName: client.name,
          machines,
          executable: base ? { handle: base.handle, size: base.analysis.size } : undefined,
          mtime: this.ctx.clock(),
        });
        download = {
          fileName: windowsFileName(zipStem, '.zip', byId),
          contentType: 'application/zip',
          ...zip,
        };
      }

      await recordAudit(
        this.ctx.db,
        {
          clientId: request.clientId,
          actor: `user:${request.userId}`,
          action: 'installer.generated',
          subject: made.tokenId,
          details: {
            platform: 'windows',
            format: download.contentType === EXE_TYPE ? 'exe' : 'zip',
            mode: request.mode,
            max_usage: machines,
            token_id: made.tokenId,
            ...(made.machineId ? { machine_id: made.machineId } : {}),
            version: version ?? null,
            base: base?.source ?? null,
            signed: base?.analysis.signed !== undefined,
            file_name: download.fileName,
            ...('missing' in lookup ? { fallback_reason: lookup.missing } : {}),
          },
        },
        this.ctx.clock(),
      );
      return download;
    } catch (error) {
      // The gzip installer reads another file than the base: its body holds that one open.
      if (download?.body instanceof SegmentedBody) await download.body.close();
      await base?.handle.close();
      throw error;
    }
  }

  /** The personalized executable; gzip when accepted and the shared part can be precompressed. */
  private async executable(
    base: OpenBase,
    zip: Uint8Array,
    acceptsGzip: boolean,
  ): Promise<InstallerDownload> {
    const layout = personalize(base.analysis, zip);
    if (acceptsGzip) {
      const gzip = await this.gzip(base, layout);
      if (gzip) return gzip;
    }
    return {
      fileName: '',
      contentType: EXE_TYPE,
      length: layout.length,
      body: new SegmentedBody(base.handle, layout.segments),
    };
  }

  private async gzip(
    base: OpenBase,
    layout: ReturnType<typeof personalize>,
  ): Promise<InstallerDownload | undefined> {
    let cacheHandle: fs.FileHandle | undefined;
    try {
      const cacheFile = await this.deflate.prepare(base.analysis);
      const read = async (start: number, end: number) => {
        const bytes = Buffer.alloc(end - start);
        await base.handle.read(bytes, 0, bytes.length, start);
        return bytes;
      };
      const gzip = await gzipLayout(base.analysis, layout, cacheFile, read);
      if (!gzip) return undefined;
      cacheHandle = await fs.open(cacheFile, 'r');
      await base.handle.close();
      return {
        fileName: '',
        contentType: EXE_TYPE,
        length: gzip.length,
        encoding: 'gzip',
        body: new SegmentedBody(cacheHandle, gzip.segments),
      };
    } catch (error) {
      await cacheHandle?.close();
      this.ctx.log.error({ err: error }, 'cannot gzip the Windows installer; sending it as is');
      return undefined;
    }
  }

  /**
   * The version the file name shows: the active stable Windows release whose SHA-256 is the
   * base's. None (no stable release in the database, or a base not published as one) names the
   * file after the client instead.
   */
  private async releaseVersion(base: BaseAnalysis): Promise<string | undefined> {
    const releases = await listActiveReleases(this.ctx.db);
    const versions = releases
      .filter((row) => row.platform === 'windows' && row.channel === 'stable')
      .filter((row) => row.checksum_sha256.toLowerCase() === base.sha256)
      .map((row) => row.version);
    return versions.sort(semver.rcompare)[0];
  }
}

import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import fsp from 'node:fs/promises';
import path from 'node:path';
import {
  parseWindowsReleaseMetadata,
  RELEASE_METADATA_FILES,
  type WindowsReleaseMetadata,
} from '@optralis/protocol';
import type { Logger } from 'pino';
import { analyzeBase, type BaseAnalysis, identityOf, UnusableBaseError } from './analysis';

/** Where the base comes from: `STUB_PATH_WINDOWS`, or the stable build of the downloads. */
export interface BaseCandidate {
  file: string;
  source: 'configured' | 'stable';
  /** The stable build's metadata, whose size and SHA-256 the file must match. */
  metadata?: WindowsReleaseMetadata;
}

/** A base ready to personalize, with an open handle on exactly the file that was analyzed. */
export interface OpenBase {
  analysis: BaseAnalysis;
  handle: FileHandle;
  source: BaseCandidate['source'];
}

/**
 * `missing` says why there is no base in words fit for the audit trail, which client
 * administrators read: no server path or file detail (those go to the server's log).
 * `downloadable` says whether the stable channel still has a build that the fallback ZIP's
 * install.ps1 can download and check against metadata-windows.json.
 */
export type BaseMissing = { missing: string; downloadable: boolean };
export type BaseLookup = { found: OpenBase } | BaseMissing;

const UNUSABLE = 'the Windows build cannot be used (the server log says why)';
const NO_BUILD = 'no Windows build in the stable channel';

/** The stable build is not the file its metadata describes: install.ps1 would refuse it too. */
class MismatchedBuildError extends UnusableBaseError {}

/** Builds are ~90 MB; the metadata file is a few hundred bytes. */
const MAX_METADATA_BYTES = 256 * 1024;
/** Analyses kept in memory: the current base, and the previous one while it is replaced. */
const KEPT_ANALYSES = 4;

function readMetadata(downloadsDir: string): WindowsReleaseMetadata | undefined {
  const source = `stable/${RELEASE_METADATA_FILES.windows}`;
  const file = path.join(downloadsDir, source);
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) return undefined;
  if (stat.size > MAX_METADATA_BYTES) throw new UnusableBaseError(source, 'is too large');
  return parseWindowsReleaseMetadata(fs.readFileSync(file), source);
}

/**
 * Finds, analyzes (once per file version) and opens the base executable of Windows installers.
 * A configured `STUB_PATH_WINDOWS` wins; when it is missing the stable build is used; a build
 * that does not match its metadata, or is not a Windows executable, is never used.
 */
export class WindowsBases {
  private readonly analyses = new Map<string, Promise<BaseAnalysis>>();

  constructor(
    private readonly options: { stubPath: string | undefined; downloadsDir: string; log: Logger },
  ) {}

  private candidate(): BaseCandidate | BaseMissing {
    const { stubPath, downloadsDir, log } = this.options;
    if (stubPath) {
      if (fs.existsSync(stubPath)) return { file: stubPath, source: 'configured' };
      log.warn({ stubPath }, 'STUB_PATH_WINDOWS does not exist; using the stable build');
    }
    const metadata = readMetadata(downloadsDir);
    if (!metadata) return { missing: NO_BUILD, downloadable: false };
    const file = path.join(downloadsDir, 'stable', metadata.filename);
    return { file, source: 'stable', metadata };
  }

  /** Whether the stable build is there, as metadata-windows.json describes it. */
  private stableDownloadable(): boolean {
    try {
      const metadata = readMetadata(this.options.downloadsDir);
      if (!metadata) return false;
      const file = path.join(this.options.downloadsDir, 'stable', metadata.filename);
      return fs.statSync(file, { throwIfNoEntry: false })?.size === metadata.file_size_bytes;
    } catch {
      return false;
    }
  }

  private analyze(file: string, identity: string): Promise<BaseAnalysis> {
    const key = `${file}\0${identity}`;
    let analysis = this.analyses.get(key);
    if (!analysis) {
      analysis = analyzeBase(file);
      this.analyses.set(key, analysis);
      analysis.catch(() => this.analyses.delete(key));
      while (this.analyses.size > KEPT_ANALYSES) {
        this.analyses.delete(this.analyses.keys().next().value as string);
      }
    }
    return analysis;
  }

  /** The base to personalize, or why there is none (the fallback ZIP is then served). */
  async open(): Promise<BaseLookup> {
    let candidate: BaseCandidate | BaseMissing;
    try {
      candidate = this.candidate();
    } catch (error) {
      return this.unusable(error, false);
    }
    if ('missing' in candidate) return candidate;

    let handle: FileHandle | undefined;
    try {
      handle = await fsp.open(candidate.file, 'r');
      const stat = await handle.stat();
      const { metadata } = candidate;
      if (metadata && stat.size !== metadata.file_size_bytes) {
        throw new MismatchedBuildError(
          candidate.file,
          'its size differs from metadata-windows.json',
        );
      }
      const analysis = await this.analyze(candidate.file, identityOf(stat));
      // The analysis was made from the path: it must be of the very file this handle reads.
      if (analysis.identity !== identityOf(await handle.stat())) {
        throw new UnusableBaseError(candidate.file, 'was replaced while it was read');
      }
      if (metadata && analysis.sha256 !== metadata.checksum_sha256) {
        throw new MismatchedBuildError(
          candidate.file,
          'its SHA-256 differs from metadata-windows.json',
        );
      }
      return { found: { analysis, handle, source: candidate.source } };
    } catch (error) {
      await handle?.close();
      // A stable build that cannot be personalized can still be downloaded by install.ps1,
      // unless it is absent or not the file its metadata describes.
      const downloadable =
        candidate.source === 'configured'
          ? this.stableDownloadable()
          : !(error instanceof MismatchedBuildError) &&
            (error as NodeJS.ErrnoException).code !== 'ENOENT';
      return this.unusable(error, downloadable);
    }
  }

  private unusable(error: unknown, downloadable: boolean): BaseMissing {
    const known =
      error instanceof UnusableBaseError || (error as Error).name === 'ReleaseMetadataError';
    if (!known && (error as NodeJS.ErrnoException).code === undefined) throw error;
    this.options.log.error({ err: error }, 'the Windows installer base cannot be used');
    return { missing: UNUSABLE, downloadable };
  }
}

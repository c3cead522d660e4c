import fs from 'node:fs';
import path from 'node:path';
import sea from 'node:sea';
import {
  heartbeatResponseSchema,
  RELEASE_KEY_FILE,
  type ReleaseKeyInfo,
  releaseKeyInfoSchema,
  type SignedStatement,
  type UpdateOffer,
} from '@optralis/protocol';
import { AgentError } from '../errors';
import type { AgentLog } from '../log';
import { currentArch, currentPlatform } from '../platform';
import { AGENT_VERSION } from '../version';
import { DownloadError, downloadRelease } from './download';
import {
  claimPending,
  isFailed,
  readPending,
  readState,
  recordFailure,
  updateState,
  writePending,
} from './state';
import { installBinary, restoreBinary, temporaryPathOf } from './swap';
import { verifyCatalogue, verifyOffer } from './verify';
import { restorePending, spawnWatchdog } from './watchdog';

/** The exit status that asks the service manager to start the (new) binary again. */
export const UPDATE_RESTART_EXIT_CODE = 75;
/** How long a new version has to send its first good heartbeat. */
const DEFAULT_CONFIRM_MS = 5 * 60_000;
/** A download that failed (network, size, hash) is tried again after this long. */
const DOWNLOAD_RETRY_MS = 60 * 60_000;

export interface UpdaterOptions {
  configDir: string;
  log: AgentLog;
  /** False for `run --once`: offers are checked, nothing is installed. */
  apply: boolean;
  /** The executable to replace; by default this process's own, when it is an agent binary. */
  binary?: string | undefined;
  version?: string;
  confirmWindowMs?: number;
  now?: () => Date;
  /** Starts the watchdog; throws when it cannot (spawnWatchdog by default). */
  spawnWatchdog?: (previous: string, configDir: string) => unknown;
  exit?: (code: number) => void;
}

function ownBinary(): string | undefined {
  // Run from source (node + bundle), the executable is Node itself: never replace it.
  return sea.isSea() ? process.execPath : undefined;
}

function confirmWindow(): number {
  const seconds = Number(process.env.OPTRALIS_UPDATE_CONFIRM_SECONDS);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_CONFIRM_MS;
}

/**
 * The agent's self-update, driven by heartbeat answers: verify the signed offer, download,
 * swap, restart through the service manager, and confirm (or restore) after the restart.
 */
export class Updater {
  private readonly binary: string | undefined;
  private readonly version: string;
  private readonly now: () => Date;
  private awaiting = false;
  private timer: NodeJS.Timeout | undefined;
  private reported: string | undefined;
  private readonly refused = new Set<string>();
  private catalogueRefusal: string | undefined;
  private saidFromSource = false;

  constructor(private readonly options: UpdaterOptions) {
    this.binary = 'binary' in options ? options.binary : ownBinary();
    this.version = options.version ?? AGENT_VERSION;
    this.now = options.now ?? (() => new Date());
  }

  /** At start: a new version after an update arms its deadline and waits to confirm. */
  start(): void {
    const pending = this.options.apply ? readPending(this.options.configDir) : undefined;
    if (!pending) return;
    if (pending.to_version !== this.version) {
      restorePending(this.options.configDir, `was installed but ${this.version} still runs`);
      return;
    }
    const window = this.options.confirmWindowMs ?? confirmWindow();
    // A fresh window from the new version's first start; a crash loop does not extend it.
    const deadline =
      pending.pid === undefined
        ? new Date(this.now().getTime() + window).toISOString()
        : pending.deadline;
    writePending(this.options.configDir, { ...pending, pid: process.pid, deadline });
    this.awaiting = true;
    const left = Math.max(0, Date.parse(deadline) - this.now().getTime());
    this.timer = setTimeout(() => this.giveUp(), left);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  /** Added to each heartbeat: the last update failure, until a heartbeat carried it. */
  heartbeatFields(): { update_error?: string } {
    const report = readState(this.options.configDir).report;
    this.reported = report;
    return report ? { update_error: report } : {};
  }

  /**
   * Called with each accepted heartbeat answer. May throw an AgentError whose exit code asks the
   * service manager to restart into the new binary.
   */
  async afterHeartbeat(body: unknown): Promise<void> {
    if (this.awaiting) this.confirm();
    if (this.reported) {
      const sent = this.reported;
      updateState(this.options.configDir, (state) => {
        if (state.report === sent) delete state.report;
      });
      this.reported = undefined;
    }
    const parsed = heartbeatResponseSchema.safeParse(body);
    if (!parsed.success) return;
    // The sequence first: an offer in the same answer is checked against what it says.
    if (parsed.data.releases) this.learnSequence(parsed.data.releases);
    const offer = parsed.data.update;
    if (offer && this.options.apply) await this.consider(offer);
  }

  /**
   * Remembers the highest release-catalogue sequence the release key has signed, so that offers
   * signed before it (a release since deactivated, replayed) are refused. A statement that does
   * not verify changes nothing and is logged once per kind.
   */
  private learnSequence(signed: SignedStatement): void {
    const { configDir, log } = this.options;
    const verified = verifyCatalogue(signed, readReleaseKey(configDir), this.now());
    if (!verified.ok) {
      if (this.catalogueRefusal === verified.refusal.code) return;
      this.catalogueRefusal = verified.refusal.code;
      log.warn('release catalogue statement refused', {
        code: verified.refusal.code,
        reason: verified.refusal.message,
      });
      return;
    }
    this.catalogueRefusal = undefined;
    if (verified.sequence <= readState(configDir).last_sequence) return;
    updateState(configDir, (next) => {
      next.last_sequence = Math.max(next.last_sequence, verified.sequence);
    });
  }

  private confirm(): void {
    this.awaiting = false;
    this.stop();
    // Taken atomically: when the watchdog took it first, it restores and stops this process.
    const pending = claimPending(this.options.configDir);
    if (pending) {
      this.options.log.info('agent updated', { from: pending.from_version, to: this.version });
    }
  }

  private giveUp(): void {
    const restored = restorePending(this.options.configDir, 'did not send a heartbeat in time');
    if (!restored) return;
    this.options.log.error('update failed; previous version restored', {
      version: this.version,
      restored: restored.from_version,
    });
    (this.options.exit ?? process.exit)(UPDATE_RESTART_EXIT_CODE);
  }

  private async consider(offer: UpdateOffer): Promise<void> {
    const { configDir, log } = this.options;
    if (!this.binary) {
      if (!this.saidFromSource)
        log.info('update offered; not applied when run from source', { version: offer.version });
      this.saidFromSource = true;
      return;
    }
    const state = readState(configDir);
    const verified = verifyOffer(offer, readReleaseKey(configDir), {
      now: this.now(),
      platform: currentPlatform(),
      architecture: currentArch(),
      version: this.version,
      lastSequence: state.last_sequence,
    });
    if (!verified.ok) {
      const key = `${verified.refusal.code}:${offer.statement ?? offer.version}`;
      if (this.refused.has(key)) return;
      this.refused.add(key);
      log.warn('update refused', { code: verified.refusal.code, reason: verified.refusal.message });
      updateState(configDir, (next) => {
        next.report = verified.refusal.message.slice(0, 512);
      });
      return;
    }
    const statement = verified.statement;
    if (isFailed(state, statement.sha256, this.now())) return;
    updateState(configDir, (next) => {
      next.last_sequence = Math.max(next.last_sequence, statement.sequence);
    });

    const temporary = temporaryPathOf(this.binary);
    log.info('downloading update', { version: statement.version, size: statement.size });
    try {
      await downloadRelease(statement, temporary);
    } catch (error) {
      if (!(error instanceof DownloadError)) throw error;
      log.warn('update download failed', { version: statement.version, reason: error.message });
      updateState(configDir, (next) =>
        recordFailure(next, {
          version: statement.version,
          sha256: statement.sha256,
          reason: `${statement.version}: ${error.message}`,
          retryAfter: new Date(this.now().getTime() + DOWNLOAD_RETRY_MS),
        }),
      );
      return;
    }

    const previous = installBinary(this.binary, temporary);
    const startedAt = this.now();
    const window = this.options.confirmWindowMs ?? confirmWindow();
    writePending(configDir, {
      from_version: this.version,
      to_version: statement.version,
      sha256: statement.sha256,
      binary: this.binary,
      previous,
      started_at: startedAt.toISOString(),
      deadline: new Date(startedAt.getTime() + window).toISOString(),
    });
    if (!this.startWatchdog(this.binary, previous, statement)) return;
    log.info('update installed; restarting', { from: this.version, to: statement.version });
    throw new AgentError(
      'update_restart',
      `updated to ${statement.version}; restarting through the service manager`,
      UPDATE_RESTART_EXIT_CODE,
    );
  }

  /**
   * Without a watchdog, a new binary that cannot start would never be rolled back: when it
   * cannot be started, the update is undone at once and tried again later.
   */
  private startWatchdog(
    binary: string,
    previous: string,
    statement: { version: string; sha256: string },
  ): boolean {
    const { configDir, log } = this.options;
    try {
      (this.options.spawnWatchdog ?? spawnWatchdog)(previous, configDir);
      return true;
    } catch (error) {
      claimPending(configDir);
      const reason = `${statement.version}: ${(error as Error).message}; ${this.version} kept`;
      updateState(configDir, (next) =>
        recordFailure(next, {
          version: statement.version,
          sha256: statement.sha256,
          reason,
          retryAfter: new Date(this.now().getTime() + DOWNLOAD_RETRY_MS),
        }),
      );
      restoreBinary(binary, previous);
      log.warn('update abandoned; previous version kept', {
        version: statement.version,
        reason: (error as Error).message,
      });
      return false;
    }
  }
}

function readReleaseKey(configDir: string): ReleaseKeyInfo | undefined {
  try {
    const text = fs.readFileSync(path.join(configDir, RELEASE_KEY_FILE), 'utf8');
    const parsed = releaseKeyInfoSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

import fs from 'node:fs';
import type { InstallerPayload } from '@optralis/protocol/installer-payload';
import { z } from 'zod';
import { EXIT, InstallerError } from '../install/errors';
import type { InstallerFlags } from '../install/flags';
import { checkOperatingSystem, type InstallRequest } from '../install/installer';
import { payloadExpired } from '../install/payload-expiry';
import type { ProgressEvent } from '../install/progress';
import { installRequestFrom, payloadCredentialsInUse } from '../install/request';
import { INSTALL_STEPS, UNINSTALL_STEPS } from '../install/steps';
import { AGENT_VERSION } from '../version';
import type { WindowsPlatform } from '../windows/platform';
import type { InstallTask, TaskResult } from './task';

export type Screen =
  | 'checking'
  | 'unsupported'
  | 'error'
  | 'form'
  | 'progress'
  | 'done'
  | 'confirm-uninstall';

/** What the install screen shows: a certificate or a personalized installer needs no input. */
export type Variant = 'certificate' | 'payload' | 'form';

type StepStatus = 'pending' | 'active' | 'done' | 'failed';

/** Everything the page shows; the page polls it (it holds no secret). */
export interface GuiState {
  version: string;
  mode: 'install' | 'uninstall';
  screen: Screen;
  variant: Variant;
  installed: boolean;
  server_url: string | null;
  channel: 'stable' | 'beta';
  unsupported_message: string | null;
  form_error: string | null;
  steps: { id: string; label: string; status: StepStatus }[];
  notices: { level: 'info' | 'warning'; message: string }[];
  result: (TaskResult & { log_file: string | null }) | null;
}

/** The install form, as the page posts it. */
export const installBodySchema = z
  .object({
    url: z.string().max(2048).optional(),
    token: z.string().max(256).optional(),
    with_lhm: z.boolean().default(false),
    beta: z.boolean().default(false),
  })
  .strict();

export interface GuiDeps {
  platform: WindowsPlatform;
  flags: InstallerFlags;
  payload?: InstallerPayload | undefined;
  task: InstallTask;
  logFile: string;
  fetch?: typeof fetch;
  /** This installer cannot be used (a damaged payload): said instead of the form. */
  startError?: string | undefined;
  now?: () => Date;
}

/**
 * The graphical installer's state and actions, apart from HTTP and the browser: checks the OS
 * first (before elevation and before the token is used), then installs or uninstalls when the
 * page asks, following the task's progress, and says how it ended.
 */
export class InstallerGui {
  readonly state: GuiState;
  private busy = false;
  private closeRequested = false;
  private resolveClosed!: (code: number) => void;
  /** The exit status, once the window is closed (or the program is done). */
  readonly closed: Promise<number>;

  constructor(private readonly deps: GuiDeps) {
    const { flags, payload } = deps;
    const certificate = Boolean(flags.mtlsCert) || payload?.config.mode === 'certificate';
    this.state = {
      version: AGENT_VERSION,
      mode: flags.uninstall ? 'uninstall' : 'install',
      screen: 'checking',
      variant: certificate ? 'certificate' : payload ? 'payload' : 'form',
      installed: fs.existsSync(deps.platform.paths.agentExe),
      server_url: flags.url ?? payload?.config.public_url ?? null,
      channel: flags.beta ? 'beta' : (payload?.config.channel ?? 'stable'),
      unsupported_message: null,
      form_error: null,
      steps: [],
      notices: [],
      result: null,
    };
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  /**
   * The first screen: an installer that cannot be used (damaged, or expired: said before any
   * UAC prompt), else the OS gate with what is known of the server, then the form.
   */
  async start(): Promise<void> {
    if (this.deps.startError) {
      this.unusable('payload_damaged', this.deps.startError);
      return;
    }
    const expired = this.expired();
    if (expired) {
      this.unusable(expired.code, expired.message);
      return;
    }
    if (this.state.mode === 'uninstall') {
      this.state.screen = 'confirm-uninstall';
      return;
    }
    const supported = await this.gate(this.state.server_url ?? undefined);
    if (supported) this.state.screen = 'form';
  }

  private expired() {
    const { flags, payload } = this.deps;
    if (flags.uninstall || !payloadCredentialsInUse(flags, {})) return undefined;
    return payloadExpired(payload, this.deps.now?.() ?? new Date());
  }

  private unusable(code: string, message: string): void {
    this.state.screen = 'error';
    this.state.unsupported_message = message;
    this.state.result = {
      ok: false,
      exitCode: EXIT.badCredentials,
      code,
      message,
      log_file: null,
    };
  }

  private async gate(serverUrl: string | undefined): Promise<boolean> {
    const decision = await checkOperatingSystem(
      this.deps.platform,
      serverUrl,
      this.deps.fetch ? { fetch: this.deps.fetch } : {},
    );
    if (decision.supported) return true;
    this.state.screen = 'unsupported';
    this.state.unsupported_message = decision.message ?? 'Système non pris en charge.';
    return false;
  }

  /** The install button. Returns an error in French for the form, or undefined once started. */
  async install(body: z.infer<typeof installBodySchema>): Promise<string | undefined> {
    if (this.busy || this.state.screen !== 'form') return 'Une installation est déjà en cours.';
    this.state.form_error = null;
    let request: InstallRequest;
    try {
      request = this.request(body);
    } catch (error) {
      const message = error instanceof InstallerError ? error.message : (error as Error).message;
      this.state.form_error = message;
      return message;
    }
    this.busy = true;
    let supported = false;
    try {
      // Again with the server now named: its minimum may be above the fallback's.
      supported = await this.gate(request.serverUrl);
    } finally {
      if (!supported) this.busy = false;
    }
    if (!supported) return undefined;
    this.run({ kind: 'install', request }, INSTALL_STEPS);
    return undefined;
  }

  /** The confirmation of an uninstall. */
  uninstall(): string | undefined {
    if (this.busy || this.state.screen !== 'confirm-uninstall')
      return 'Action impossible maintenant.';
    this.busy = true;
    this.run({ kind: 'uninstall' }, UNINSTALL_STEPS);
    return undefined;
  }

  /** The window asks to close, or was closed: ends once any running task has ended. */
  close(): void {
    this.closeRequested = true;
    if (this.busy) return;
    const result = this.state.result;
    this.resolveClosed(result ? result.exitCode : EXIT.cancelled);
  }

  get running(): boolean {
    return this.busy;
  }

  private request(body: z.infer<typeof installBodySchema>): InstallRequest {
    const { flags, payload } = this.deps;
    const base = { ...flags, withLhm: body.with_lhm, beta: body.beta || flags.beta };
    if (this.state.variant !== 'form') return installRequestFrom(base, payload, {});
    const url = body.url?.trim() || this.state.server_url || '';
    let parsed: URL;
    try {
      parsed = new URL(url);
      if (!/^https?:$/.test(parsed.protocol) || parsed.username || parsed.password)
        throw new Error();
    } catch {
      throw new InstallerError(
        'url_invalid',
        "Indiquez l'adresse du serveur, par exemple https://optralis.example.com.",
        EXIT.usage,
      );
    }
    const serverUrl = url.replace(/\/+$/, '');
    const token = body.token?.trim() ?? '';
    if (!token && !this.state.installed) {
      throw new InstallerError(
        'token_missing',
        "Collez le jeton d'installation généré dans le tableau de bord.",
        EXIT.noCredentials,
      );
    }
    if (/\s/.test(token)) {
      throw new InstallerError(
        'token_invalid',
        "Le jeton d'installation ne contient pas d'espace.",
        EXIT.badCredentials,
      );
    }
    return {
      credentials: token ? { kind: 'token', token, serverUrl, source: 'form' } : undefined,
      serverUrl,
      channel: base.beta ? 'beta' : this.state.channel,
      withLhm: body.with_lhm,
    };
  }

  private run(
    task: Parameters<InstallTask>[0],
    steps: readonly { id: string; label: string }[],
  ): void {
    this.state.screen = 'progress';
    this.state.steps = steps.map((step) => ({ ...step, status: 'pending' }));
    this.state.notices = [];
    const onProgress = (event: ProgressEvent) => this.onProgress(event);
    void this.deps
      .task(task, onProgress)
      .catch(
        (error: unknown): TaskResult => ({
          ok: false,
          exitCode: EXIT.unexpected,
          code: 'unexpected',
          message: `Erreur inattendue : ${(error as Error).message}`,
        }),
      )
      .then((result) => {
        for (const step of this.state.steps) {
          if (step.status === 'active') step.status = result.ok ? 'done' : 'failed';
          else if (step.status === 'pending' && result.ok) step.status = 'done';
        }
        this.state.result = { ...result, log_file: this.deps.logFile };
        this.state.screen = 'done';
        this.busy = false;
        if (this.closeRequested) this.close();
      });
  }

  private onProgress(event: ProgressEvent): void {
    if (event.event === 'notice') {
      this.state.notices.push({ level: event.level, message: event.message });
      return;
    }
    if (event.event !== 'step') return;
    for (const step of this.state.steps) {
      if (step.id === event.id) step.status = 'active';
      else if (step.status === 'active') step.status = 'done';
    }
  }
}

import { agentRequirementsSchema, DEFAULT_MIN_WINDOWS_BUILD } from '@optralis/protocol';
import { describeWindows, type WindowsVersion } from '../windows/version';

/** Windows 10 LTSC 2019 / Server 2019: the minimum when the server cannot be asked. */
export const FALLBACK_MIN_WINDOWS_BUILD = DEFAULT_MIN_WINDOWS_BUILD;

/**
 * Values below this are Windows major versions (the specification's dashboard accepts "10" or
 * "6"), not build numbers: the first Windows 10 build is 10240.
 */
const MAJOR_VERSION_LIMIT = 1000;

export interface OsRequirements {
  minimum: number;
  message: string | null;
  /** `fallback`: the server could not be asked (or was not named) and the default applies. */
  source: 'server' | 'fallback';
  /** Why the fallback applies, for the log. */
  reason?: string;
}

export interface OsGateDecision {
  supported: boolean;
  requirements: OsRequirements;
  version?: WindowsVersion | undefined;
  /** French, for the window or the console, when not supported. */
  message?: string;
}

type Fetch = typeof fetch;

/**
 * `GET /agent/requirements` on the server. Anything but a well-formed answer (no URL, network
 * failure, an error status, a proxy's page) gives the fallback minimum: the gate never lets an
 * unreachable server stop an install on a supported system.
 */
export async function fetchOsRequirements(
  baseUrl: string | undefined,
  options: { fetch?: Fetch; timeoutMs?: number } = {},
): Promise<OsRequirements> {
  const fallback = (reason: string): OsRequirements => ({
    minimum: FALLBACK_MIN_WINDOWS_BUILD,
    message: null,
    source: 'fallback',
    reason,
  });
  if (!baseUrl) return fallback('no server URL yet');
  const url = `${baseUrl.replace(/\/+$/, '')}/agent/requirements`;
  try {
    const response = await (options.fetch ?? fetch)(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    if (!response.ok) return fallback(`HTTP ${response.status}`);
    const parsed = agentRequirementsSchema.safeParse(await response.json());
    if (!parsed.success) return fallback('malformed answer');
    return {
      minimum: parsed.data.min_windows_version,
      message: parsed.data.message,
      source: 'server',
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return fallback(cause?.code ?? (error as Error).name ?? 'unreachable');
  }
}

/** "build 17763" or "Windows 10", the way the requirement is written to the user. */
export function describeRequirement(minimum: number): string {
  if (minimum < MAJOR_VERSION_LIMIT) return `Windows ${minimum} ou plus récent`;
  if (minimum === FALLBACK_MIN_WINDOWS_BUILD) {
    return 'Windows 10 LTSC 2019 / Windows Server 2019 (build 17763) ou plus récent';
  }
  return `Windows build ${minimum} ou plus récent`;
}

/**
 * Whether this Windows may be installed on. The build is compared as an integer (never as
 * text: "9600" > "17763" as text); a small minimum compares the major version instead.
 */
export function decideOsGate(
  version: WindowsVersion | undefined,
  requirements: OsRequirements,
): OsGateDecision {
  const required = describeRequirement(requirements.minimum);
  const extra = requirements.message ? `\n${requirements.message}` : '';
  if (!version) {
    return {
      supported: false,
      requirements,
      message: `Impossible de lire la version de Windows dans le registre. Optralis Agent nécessite ${required}.${extra}`,
    };
  }
  const supported =
    requirements.minimum < MAJOR_VERSION_LIMIT
      ? version.major >= requirements.minimum
      : version.build >= requirements.minimum;
  if (supported) return { supported, requirements, version };
  return {
    supported,
    requirements,
    version,
    message: `Ce système (${describeWindows(version)}) n'est pas pris en charge. Optralis Agent nécessite ${required}.${extra}`,
  };
}

import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';

function isAddressOrCidr(value: string): boolean {
  const [address, prefix, ...rest] = value.split('/');
  if (rest.length > 0 || !address || net.isIP(address) === 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits <= (net.isIPv4(address) ? 32 : 128);
}

const port = z.coerce.number().int().min(0).max(65_535);
const optionalUrl = z
  .string()
  .url()
  .transform((value) => value.replace(/\/+$/, ''))
  .optional();
const optionalText = z.string().min(1).optional();
/** Requests allowed per minute; 0 turns the limit off. */
const perMinute = z.coerce.number().int().min(0).max(1_000_000);

/** Environment variables the server reads, with their defaults (see the README). */
const environmentSchema = z.object({
  OPTRALIS_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  OPTRALIS_HTTP_PORT: port.default(8080),
  OPTRALIS_AGENT_HOST: z.string().min(1).default('127.0.0.1'),
  OPTRALIS_AGENT_PORT: port.default(8443),
  OPTRALIS_PUBLIC_URL: optionalUrl,
  AGENT_API_URL: optionalUrl,
  OPTRALIS_DATA_DIR: z.string().min(1).default('./data'),
  OPTRALIS_CA_DIR: optionalText,
  OPTRALIS_RELEASE_KEY_DIR: optionalText,
  OPTRALIS_DOWNLOADS_DIR: z.string().min(1).default('./deploy/downloads'),
  STUB_PATH_WINDOWS: optionalText,
  OPTRALIS_DASHBOARD_DIR: optionalText,
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  OPTRALIS_ADMIN_EMAIL: z.string().email().default('admin@localhost'),
  OPTRALIS_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  OPTRALIS_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  OPTRALIS_CERT_LIFETIME_DAYS: z.coerce.number().int().min(1).max(825).default(90),
  // For tests and demonstrations of renewal: a lifetime in seconds overrides the days.
  OPTRALIS_CERT_LIFETIME_SECONDS: z.coerce.number().int().min(10).max(71_280_000).optional(),
  OPTRALIS_HEARTBEAT_FLUSH_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  OPTRALIS_METRICS_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  OPTRALIS_RATE_LIMIT_PREFIX: z.string().min(1).max(64).default('optralis-rl:'),
  OPTRALIS_BOOTSTRAP_RATE_PER_IP: perMinute.default(120),
  OPTRALIS_BOOTSTRAP_RATE_PER_TOKEN: perMinute.default(60),
  OPTRALIS_LOGIN_RATE: perMinute.default(10),
  OPTRALIS_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info'),
  OPTRALIS_LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  OPTRALIS_AGENT_TLS: z.enum(['mtls', 'proxy']).default('mtls'),
  OPTRALIS_TRUSTED_PROXIES: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry !== ''),
    )
    .pipe(z.array(z.string().refine(isAddressOrCidr, 'must be IP addresses or CIDR ranges')))
    .default([]),
  OPTRALIS_CLIENT_CERT_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, 'must be a header name')
    .transform((value) => value.toLowerCase())
    .default('x-client-cert'),
  OPTRALIS_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  OPTRALIS_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  OPTRALIS_METRICS_PORT: port.optional(),
  NODE_ENV: z.string().optional(),
});

export interface ServerConfig {
  httpHost: string;
  httpPort: number;
  agentHost: string;
  agentPort: number;
  /** Resolved after listening when not configured, so that port 0 works in tests. */
  publicUrl: string | undefined;
  agentApiUrl: string | undefined;
  dataDir: string;
  caDir: string;
  /** The release signing key; never inside the CA directory (see `loadConfig`). */
  releaseKeyDir: string;
  downloadsDir: string;
  /** The base of personalized Windows installers; unset: the stable build of the downloads. */
  stubPathWindows: string | undefined;
  /** The built dashboard; unset: the `dist` folder of the dashboard package installed beside. */
  dashboardDir: string | undefined;
  databaseUrl: string | undefined;
  adminEmail: string;
  adminPassword: string | undefined;
  jwtSecret: string | undefined;
  /** Lifetime of machine certificates in days (a fraction when set in seconds). */
  certificateLifetimeDays: number;
  /** Heartbeats are written to the store in batches, at most this long after they arrive. */
  heartbeatFlushMs: number;
  /** Metric samples older than this are deleted. */
  metricsRetentionDays: number;
  /** Rate limits live in Redis when set (shared by every replica), in memory otherwise. */
  redisUrl: string | undefined;
  rateLimit: RateLimitConfig;
  logLevel: string;
  logFormat: 'json' | 'pretty';
  /**
   * Prometheus metrics are off unless a bearer token or a separate listener is configured; with
   * a port they are served there, otherwise on the public listener behind the token.
   */
  metrics: { token: string | undefined; host: string; port: number | undefined };
  /**
   * How agents are authenticated: `mtls`, the agent listener terminates mutual TLS itself;
   * `proxy`, it speaks plain HTTP to a reverse proxy that verified the certificate and forwards
   * it in `clientCertHeader`. The header is believed only from `trustedProxies`, in both modes.
   */
  agentTls: 'mtls' | 'proxy';
  trustedProxies: string[];
  clientCertHeader: string;
}

/** Requests per minute; 0 means no limit. */
export interface RateLimitConfig {
  prefix: string;
  bootstrapPerIp: number;
  bootstrapPerToken: number;
  loginPerIp: number;
}

export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Environment = z.infer<typeof environmentSchema>;

/** Where the data, the CA and the release key live, resolved against the working directory. */
function directories(
  e: Pick<Environment, 'OPTRALIS_DATA_DIR' | 'OPTRALIS_CA_DIR' | 'OPTRALIS_RELEASE_KEY_DIR'>,
) {
  const dataDir = path.resolve(e.OPTRALIS_DATA_DIR);
  const caDir = path.resolve(e.OPTRALIS_CA_DIR ?? path.join(dataDir, 'ca'));
  const releaseKeyDir = path.resolve(
    e.OPTRALIS_RELEASE_KEY_DIR ?? path.join(dataDir, 'release-key'),
  );
  return { dataDir, caDir, releaseKeyDir };
}

/**
 * A rule between variables runs even when an unrelated variable is wrong, so that every problem
 * is reported at once; it is skipped when a variable it reads is wrong, whose own error says why.
 */
function whenValid(reads: readonly (keyof Environment)[]) {
  const names: readonly string[] = reads;
  return {
    when: (payload: z.core.ParsePayload) =>
      !payload.issues.some((issue) => names.includes(String(issue.path?.[0]))),
  };
}

const configSchema = environmentSchema
  .superRefine(
    (e, ctx) => {
      if (e.OPTRALIS_AGENT_TLS === 'proxy' && e.OPTRALIS_TRUSTED_PROXIES.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['OPTRALIS_TRUSTED_PROXIES'],
          message: 'must name the proxy addresses when OPTRALIS_AGENT_TLS=proxy',
        });
      }
    },
    whenValid(['OPTRALIS_AGENT_TLS', 'OPTRALIS_TRUSTED_PROXIES']),
  )
  .superRefine(
    (e, ctx) => {
      const { caDir, releaseKeyDir } = directories(e);
      if (isWithin(releaseKeyDir, caDir)) {
        ctx.addIssue({
          code: 'custom',
          path: ['OPTRALIS_RELEASE_KEY_DIR'],
          message:
            'must not be inside the CA directory: the release key is kept apart from the CA so ' +
            'that one stolen secret cannot forge both',
        });
      }
    },
    whenValid(['OPTRALIS_DATA_DIR', 'OPTRALIS_CA_DIR', 'OPTRALIS_RELEASE_KEY_DIR']),
  );

/** Reads and validates the environment; every problem is reported at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
  }
  const e = parsed.data;
  const { dataDir, caDir, releaseKeyDir } = directories(e);
  return {
    httpHost: e.OPTRALIS_HTTP_HOST,
    httpPort: e.OPTRALIS_HTTP_PORT,
    agentHost: e.OPTRALIS_AGENT_HOST,
    agentPort: e.OPTRALIS_AGENT_PORT,
    publicUrl: e.OPTRALIS_PUBLIC_URL,
    agentApiUrl: e.AGENT_API_URL,
    dataDir,
    caDir,
    releaseKeyDir,
    downloadsDir: path.resolve(e.OPTRALIS_DOWNLOADS_DIR),
    stubPathWindows: e.STUB_PATH_WINDOWS ? path.resolve(e.STUB_PATH_WINDOWS) : undefined,
    dashboardDir: e.OPTRALIS_DASHBOARD_DIR ? path.resolve(e.OPTRALIS_DASHBOARD_DIR) : undefined,
    databaseUrl: e.DATABASE_URL,
    adminEmail: e.OPTRALIS_ADMIN_EMAIL,
    adminPassword: e.OPTRALIS_ADMIN_PASSWORD,
    jwtSecret: e.OPTRALIS_JWT_SECRET,
    certificateLifetimeDays:
      e.OPTRALIS_CERT_LIFETIME_SECONDS === undefined
        ? e.OPTRALIS_CERT_LIFETIME_DAYS
        : e.OPTRALIS_CERT_LIFETIME_SECONDS / 86_400,
    heartbeatFlushMs: e.OPTRALIS_HEARTBEAT_FLUSH_MS,
    metricsRetentionDays: e.OPTRALIS_METRICS_RETENTION_DAYS,
    redisUrl: e.REDIS_URL,
    rateLimit: {
      prefix: e.OPTRALIS_RATE_LIMIT_PREFIX,
      bootstrapPerIp: e.OPTRALIS_BOOTSTRAP_RATE_PER_IP,
      bootstrapPerToken: e.OPTRALIS_BOOTSTRAP_RATE_PER_TOKEN,
      loginPerIp: e.OPTRALIS_LOGIN_RATE,
    },
    logLevel: e.OPTRALIS_LOG_LEVEL,
    logFormat: e.OPTRALIS_LOG_FORMAT ?? (e.NODE_ENV === 'production' ? 'json' : 'pretty'),
    agentTls: e.OPTRALIS_AGENT_TLS,
    trustedProxies: e.OPTRALIS_TRUSTED_PROXIES,
    clientCertHeader: e.OPTRALIS_CLIENT_CERT_HEADER,
    metrics: {
      token: e.OPTRALIS_METRICS_TOKEN,
      host: e.OPTRALIS_METRICS_HOST,
      port: e.OPTRALIS_METRICS_PORT,
    },
  };
}

function isWithin(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** Where a listener can be reached from this machine, for defaults printed and returned. */
export function loopbackUrl(scheme: 'http' | 'https', host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const shown = reachable.includes(':') ? `[${reachable}]` : reachable;
  return `${scheme}://${shown}:${port}`;
}

/**
 * Tables as Kysely sees them. Times are ISO 8601 UTC strings (`Date#toISOString`) in both SQLite
 * and PostgreSQL so that one set of queries serves both and comparisons sort correctly.
 */
export interface Database {
  clients: ClientsTable;
  users: UsersTable;
  install_tokens: InstallTokensTable;
  machines: MachinesTable;
  certificates: CertificatesTable;
  audit_events: AuditEventsTable;
  settings: SettingsTable;
  agent_versions: AgentVersionsTable;
  agent_version_pins: AgentVersionPinsTable;
  release_catalogue: ReleaseCatalogueTable;
  machine_inventory: MachineInventoryTable;
  machine_metrics: MachineMetricsTable;
}

export interface ClientsTable {
  id: string;
  name: string;
  created_at: string;
}

export const ROLES = ['super_admin', 'client_admin', 'read_only'] as const;
export type Role = (typeof ROLES)[number];

export interface UsersTable {
  id: string;
  /** Null for super-admins, who see every client. */
  client_id: string | null;
  email: string;
  password_hash: string;
  role: Role;
  created_at: string;
}

export type TokenPlatform = 'any' | 'linux' | 'windows';
export type TokenKind = 'command' | 'windows_installer' | 'linux_installer';

export interface InstallTokensTable {
  id: string;
  client_id: string;
  token_hash: string;
  kind: TokenKind;
  platform: TokenPlatform;
  /** 0 means unlimited. */
  max_usage: number;
  usage_count: number;
  expires_at: string;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface MachinesTable {
  id: string;
  client_id: string;
  hostname: string;
  hardware_id: string | null;
  platform: string | null;
  arch: string | null;
  agent_version: string | null;
  channel: string;
  token_id: string | null;
  enrolled_at: string;
  last_seen_at: string | null;
  revoked_at: string | null;
  /** The readings of the last heartbeat (bigint columns read through `Number`). */
  uptime_seconds: number | string | null;
  cpu_percent: number | null;
  memory_total_bytes: number | string | null;
  memory_used_bytes: number | string | null;
  disk_total_bytes: number | string | null;
  disk_used_bytes: number | string | null;
  /** Null when the agent had no believable reading. */
  temperature_c: number | null;
}

export interface CertificatesTable {
  serial: string;
  machine_id: string;
  client_id: string;
  token_id: string | null;
  public_key_sha256: string;
  pem: string;
  not_before: string;
  not_after: string;
  issued_at: string;
  revoked_at: string | null;
  /** The certificate this one renewed; its predecessors are revoked when this one is first used. */
  renews_serial: string | null;
}

export interface AuditEventsTable {
  id: string;
  client_id: string | null;
  actor: string;
  action: string;
  subject: string | null;
  details: string | null;
  created_at: string;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface AgentVersionsTable {
  id: string;
  version: string;
  channel: 'stable' | 'beta';
  platform: 'linux' | 'windows';
  architecture: 'amd64' | 'arm64';
  checksum_sha256: string;
  /** PostgreSQL returns bigint as a string: read it through `Number`. */
  file_size_bytes: number | string;
  download_url: string;
  release_date: string;
  /** 1 or 0: neither store has a portable boolean. */
  is_active: number;
  created_at: string;
  rollout_percent: number;
  rollout_paused: number;
  updated_at: string;
}

export interface AgentVersionPinsTable {
  client_id: string;
  version: string;
  created_at: string;
  created_by: string;
}

export interface ReleaseCatalogueTable {
  id: number;
  sequence: number | string;
}

/** The last inventory of each machine: a few columns to list and filter, and the whole report. */
export interface MachineInventoryTable {
  machine_id: string;
  client_id: string;
  collected_at: string;
  received_at: string;
  os_name: string;
  os_version: string | null;
  cpu_model: string;
  memory_total_bytes: number | string;
  /** The full report as the agent sent it (JSON). */
  report: string;
}

/** Metric samples from `POST /collectors`, one row per machine and instant. */
export interface MachineMetricsTable {
  machine_id: string;
  client_id: string;
  at: string;
  cpu_percent: number | null;
  memory_used_bytes: number | string | null;
  memory_total_bytes: number | string | null;
  temperature_c: number | null;
  /** The whole sample (disks, network, sensors) as JSON. */
  sample: string;
}

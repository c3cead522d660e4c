import type {
  auditEventSchema,
  clientSchema,
  latestVersionResponseSchema,
  publicMachineSchema,
  versionPinResponseSchema,
} from '@optralis/protocol';
import type { z } from 'zod';

// The API's own schemas, as types only: nothing of zod reaches the browser bundle.
export type {
  ActiveWindowsTokenResponse,
  AgentRequirements,
  AvailableDownload,
  CreateClientResponse,
  CreatedInstallToken,
  InstallToken,
  ListedAgentVersion,
  MetadataFileError,
  SettingsResponse,
  User,
} from '@optralis/protocol';

export type Machine = z.infer<typeof publicMachineSchema>;
export type Client = z.infer<typeof clientSchema>;
export type LatestVersion = z.infer<typeof latestVersionResponseSchema>;
export type VersionPin = z.infer<typeof versionPinResponseSchema>;
export type AuditEvent = z.infer<typeof auditEventSchema>;

export type Platform = 'windows' | 'linux';
export type Architecture = 'amd64' | 'arm64';
export type Channel = 'stable' | 'beta';

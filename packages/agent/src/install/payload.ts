/**
 * The installer payload of a personalized installer (owner: the payload reader in
 * packages/agent/src/payload/, interface in the coordination notes). Until that reader is on
 * main, the installer codes against this same shape and receives payloads from its callers.
 */
export interface PayloadConfig {
  mode: 'token' | 'certificate';
  api_url: string;
  public_url: string;
  channel: 'stable' | 'beta';
  client_id: string;
  machine_id?: string | undefined;
  token_id?: string | undefined;
  expires_at?: string | undefined;
}

export interface InstallerPayload {
  config: PayloadConfig;
  caCert: string;
  token?: string | undefined;
  clientCert?: string | undefined;
  clientKey?: string | undefined;
}

/** TODO: read the executable's own payload with packages/agent/src/payload once it is on main; until then a generic installer is assumed. */
export function readOwnPayload(): InstallerPayload | undefined {
  return undefined;
}

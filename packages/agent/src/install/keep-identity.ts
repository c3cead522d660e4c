import { AgentTransport, describeError } from '../transport';
import type { Credentials } from './credentials';
import type { ExistingIdentity } from './identity';

/** Whether the installer keeps the machine's identity, and why not when it does not. */
export type IdentityDecision = { keep: true } | { keep: false; reason: string };

/** The server's answers that say this identity is over: enroll again rather than keep it. */
const ENDED = new Set([
  'machine_revoked',
  'certificate_revoked',
  'client_certificate_invalid',
  'client_certificate_expired',
]);

function sameOrigin(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/**
 * Asks the agent API, with the machine's own certificate, whether it still knows the machine.
 * Undefined when it answers yes or cannot be asked (the identity is kept: a server that is away
 * for a moment is no reason to spend a token); the server's code when it refuses it.
 */
async function refusedByServer(existing: ExistingIdentity): Promise<string | undefined> {
  const transport = new AgentTransport(existing.apiUrl, existing.tls);
  try {
    const answer = await transport.getJson('/health');
    if (answer.status === 200) return undefined;
    const { code } = describeError(answer);
    return ENDED.has(code) || answer.status === 401 ? code : undefined;
  } catch {
    return undefined;
  } finally {
    transport.close();
  }
}

/**
 * Whether the identity already on the machine is the one the new credentials are for. A
 * personalized installer's token keeps it only for the same client and agent API, and only
 * while the server still accepts it (not revoked). A token given by hand (-token-file, the
 * form) names no client, so it always enrolls: that is safe because the server keeps the
 * machine's id when its hardware id and hostname match.
 */
export async function decideIdentity(
  existing: ExistingIdentity,
  credentials: Extract<Credentials, { kind: 'token' }>,
): Promise<IdentityDecision> {
  const { payload } = credentials;
  if (!payload) {
    return { keep: false, reason: "un jeton d'installation a été donné" };
  }
  if (existing.clientId !== payload.config.client_id) {
    return { keep: false, reason: 'elle appartient à un autre client' };
  }
  if (!sameOrigin(existing.apiUrl, payload.config.api_url)) {
    return { keep: false, reason: 'elle est inscrite auprès d’un autre serveur' };
  }
  const refused = await refusedByServer(existing);
  if (refused) return { keep: false, reason: `le serveur la refuse (${refused})` };
  return { keep: true };
}

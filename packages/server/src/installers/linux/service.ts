import crypto from 'node:crypto';
import type { Architecture, Channel } from '@optralis/protocol';
import { recordAudit } from '../../audit/store';
import type { AppContext } from '../../context';
import { moveMachine } from '../../releases/policy';
import { createInstallToken } from '../../tokens/service';
import { issueInstallerCertificate } from '../machine-certificate';
import { renderLinuxScript } from './render';

/** The name the dashboard saves a personalized Linux installer under (the specification's). */
export const LINUX_INSTALLER_FILE = 'install-optralis-agent.sh';

/** `/install.sh`: the generic installer, which takes its token on the command line. */
export function genericInstallScript(ctx: Pick<AppContext, 'urls'>): string {
  return renderLinuxScript('install', { SERVER_URL: ctx.urls.publicUrl });
}

export function uninstallScript(ctx: Pick<AppContext, 'urls'>): string {
  return renderLinuxScript('uninstall', { SERVER_URL: ctx.urls.publicUrl });
}

export interface PersonalizedRequest {
  clientId: string;
  userId: string;
  arch: Architecture;
  /** token: a fresh installer token (default); certificate: one machine's certificate and key. */
  mode: 'token' | 'certificate';
  channel: Channel;
  /** Token mode: machines the token may enroll (0 = unlimited). */
  maxUsage: number;
  /** Token mode: the token's lifetime, at most 24 hours. */
  ttlMinutes?: number | undefined;
  sourceIp: string;
}

function embedded(name: string, text: string): Record<string, string> {
  const bytes = Buffer.from(text, 'utf8');
  return {
    [name]: bytes.toString('base64'),
    [`${name}_SHA256`]: crypto.createHash('sha256').update(bytes).digest('hex'),
  };
}

/**
 * `install-optralis-agent.sh` for one client and architecture: the generic script with the
 * server, the channel and the CA filled in, and either a fresh installer token or, in
 * certificate mode, a machine enrolled now with its certificate and key. Records
 * `installer.generated` (never the token or the key).
 */
export async function personalizedInstallScript(
  ctx: AppContext,
  request: PersonalizedRequest,
): Promise<string> {
  const createdBy = `user:${request.userId}`;
  const common = {
    SERVER_URL: ctx.urls.publicUrl,
    CHANNEL: request.channel,
    INSTALLER_ARCH: request.arch,
    ...embedded('EMBEDDED_CA', ctx.caTrust.bundlePem),
  };
  let script: string;
  let details: Record<string, unknown>;

  if (request.mode === 'token') {
    const made = await createInstallToken(ctx, {
      clientId: request.clientId,
      createdBy,
      kind: 'linux_installer',
      platform: 'linux',
      ttlMinutes: request.ttlMinutes,
      maxUsage: request.maxUsage,
    });
    script = renderLinuxScript('install', {
      ...common,
      INSTALLER_MODE: 'token',
      EMBEDDED_TOKEN: Buffer.from(made.value, 'utf8').toString('base64'),
    });
    details = {
      token_id: made.row.id,
      max_usage: made.row.max_usage,
      expires_at: made.row.expires_at,
    };
  } else {
    const issued = await issueInstallerCertificate(ctx, {
      clientId: request.clientId,
      createdBy,
      kind: 'linux_installer',
      platform: 'linux',
      arch: request.arch,
      sourceIp: request.sourceIp,
    });
    if (request.channel !== 'stable') {
      await moveMachine(ctx, issued.machineId, request.clientId, request.channel, createdBy);
    }
    script = renderLinuxScript('install', {
      ...common,
      INSTALLER_MODE: 'certificate',
      CLIENT_ID: issued.clientId,
      MACHINE_ID: issued.machineId,
      AGENT_API_URL: ctx.urls.agentApiUrl,
      ...embedded('EMBEDDED_CERTIFICATE', issued.certificatePem),
      ...embedded('EMBEDDED_KEY', issued.privateKeyPem),
      ...embedded('EMBEDDED_RELEASE_KEY', `${JSON.stringify(ctx.releaseKey.info, null, 2)}\n`),
    });
    details = {
      token_id: issued.tokenId,
      machine_id: issued.machineId,
      certificate_expires_at: issued.notAfter,
    };
  }

  await recordAudit(
    ctx.db,
    {
      clientId: request.clientId,
      actor: createdBy,
      action: 'installer.generated',
      subject: (details.machine_id as string | undefined) ?? (details.token_id as string),
      details: {
        platform: 'linux',
        arch: request.arch,
        mode: request.mode,
        channel: request.channel,
        ...details,
      },
    },
    ctx.clock(),
  );
  return script;
}

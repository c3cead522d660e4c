import {
  type AgentRequirements,
  agentRequirementsSchema,
  type Channel,
  DEFAULT_MIN_WINDOWS_BUILD,
} from '@optralis/protocol';
import { recordAudit } from '../audit/store';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import { getSetting } from '../settings/store';
import { forgetCatalogue } from './offer-service';
import { findPin, putPin } from './store';

type Ctx = Pick<AppContext, 'db' | 'clock'>;

const REQUIREMENTS_KEY = 'agent_requirements';
const DEFAULT_REQUIREMENTS: AgentRequirements = {
  min_windows_version: DEFAULT_MIN_WINDOWS_BUILD,
  message: null,
};

/** The installers' OS requirements; the defaults until an administrator changes them. */
export async function readRequirements(ctx: Ctx): Promise<AgentRequirements> {
  const stored = await getSetting(ctx.db, REQUIREMENTS_KEY);
  if (!stored) return DEFAULT_REQUIREMENTS;
  const parsed = agentRequirementsSchema.safeParse(JSON.parse(stored));
  return parsed.success ? parsed.data : DEFAULT_REQUIREMENTS;
}

export async function writeRequirements(
  ctx: Ctx,
  requirements: AgentRequirements,
  actor: string,
): Promise<AgentRequirements> {
  const value = JSON.stringify(requirements);
  await ctx.db
    .insertInto('settings')
    .values({ key: REQUIREMENTS_KEY, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
  await recordAudit(
    ctx.db,
    { clientId: null, actor, action: 'requirements.updated', details: requirements },
    ctx.clock(),
  );
  return requirements;
}

export async function readPin(ctx: Ctx, clientId: string) {
  return { client_id: clientId, version: (await findPin(ctx.db, clientId))?.version ?? null };
}

/** Holds a client's machines at `version` (offered nothing above it), or lifts the pin. */
export async function writePin(ctx: Ctx, clientId: string, version: string | null, actor: string) {
  const now = ctx.clock();
  await putPin(ctx.db, clientId, version, actor, now);
  forgetCatalogue(ctx);
  await recordAudit(
    ctx.db,
    { clientId, actor, action: 'release.pinned', subject: clientId, details: { version } },
    now,
  );
  return { client_id: clientId, version };
}

/** Moves a machine of `scope` (null: any client) to another channel. */
export async function moveMachine(
  ctx: Ctx,
  machineId: string,
  scope: string | null,
  channel: Channel,
  actor: string,
) {
  let query = ctx.db.selectFrom('machines').select(['id', 'client_id', 'channel']);
  query = query.where('id', '=', machineId).where('revoked_at', 'is', null);
  if (scope !== null) query = query.where('client_id', '=', scope);
  const machine = await query.executeTakeFirst();
  if (!machine) throw new AppError('not_found');
  await ctx.db.updateTable('machines').set({ channel }).where('id', '=', machineId).execute();
  await recordAudit(
    ctx.db,
    {
      clientId: machine.client_id,
      actor,
      action: 'machine.channel_changed',
      subject: machineId,
      details: { from: machine.channel, to: channel },
    },
    ctx.clock(),
  );
  return { id: machineId, channel };
}

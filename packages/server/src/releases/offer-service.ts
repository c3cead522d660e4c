import type {
  CatalogueStatement,
  HeartbeatRequest,
  ReleaseStatement,
  UpdateOffer,
} from '@optralis/protocol';
import semver from 'semver';
import { recordAudit } from '../audit/store';
import type { AppContext } from '../context';
import { chooseOffer } from './offers';
import { type SignedStatement, signStatement } from './signing';
import { type AgentVersionRow, listActiveReleases, listPins, readCatalogueSequence } from './store';

/** How long this process trusts its copy of the releases; changes made here apply at once. */
const CATALOGUE_TTL_MS = 5_000;
/**
 * An offer's statement is valid this long: a replayed old offer stops working after it, and
 * sooner for an agent that has seen a later catalogue statement (see catalogueStatement).
 */
export const STATEMENT_LIFETIME_MS = 24 * 60 * 60_000;
/** A statement is signed again once it is this old, so that agents always get a fresh one. */
const RESIGN_AFTER_MS = 60 * 60_000;

interface Catalogue {
  releases: AgentVersionRow[];
  pins: Map<string, string>;
  sequence: number;
  loadedAt: number;
  signed: Map<string, { at: number; signed: SignedStatement }>;
  /** The catalogue statement, signed once per load (every few seconds at most). */
  current?: SignedStatement;
}

interface CachedCatalogue {
  loading: Promise<Catalogue>;
  /** Set once loaded: a heartbeat then reads it without waiting on a promise. */
  loaded?: Catalogue;
}

const catalogues = new WeakMap<object, CachedCatalogue>();

/** Drops this process's copy after a change, so that the next heartbeat reads the new one. */
export function forgetCatalogue(ctx: object): void {
  catalogues.delete(ctx);
}

async function loadCatalogue(ctx: AppContext): Promise<Catalogue> {
  const [releases, pins, sequence] = await Promise.all([
    listActiveReleases(ctx.db),
    listPins(ctx.db),
    readCatalogueSequence(ctx.db),
  ]);
  return {
    releases,
    pins: new Map(pins.map((pin) => [pin.client_id, pin.version])),
    sequence,
    loadedAt: ctx.clock().getTime(),
    signed: new Map(),
  };
}

function catalogue(ctx: AppContext): Catalogue | Promise<Catalogue> {
  const cached = catalogues.get(ctx);
  const loaded = cached?.loaded;
  if (loaded && ctx.clock().getTime() - loaded.loadedAt < CATALOGUE_TTL_MS) return loaded;
  // One load at a time: heartbeats arriving meanwhile wait for it.
  if (cached && !loaded) return cached.loading;
  const entry: CachedCatalogue = { loading: loadCatalogue(ctx) };
  catalogues.set(ctx, entry);
  entry.loading.then(
    (book) => {
      entry.loaded = book;
    },
    () => {
      if (catalogues.get(ctx) === entry) catalogues.delete(ctx);
    },
  );
  return entry.loading;
}

function signedFor(ctx: AppContext, book: Catalogue, release: AgentVersionRow): SignedStatement {
  const now = ctx.clock().getTime();
  const cached = book.signed.get(release.id);
  if (cached && now - cached.at < RESIGN_AFTER_MS) return cached.signed;
  const statement: ReleaseStatement = {
    type: 'optralis-release/v1',
    version: release.version,
    channel: release.channel,
    platform: release.platform,
    architecture: release.architecture,
    sha256: release.checksum_sha256,
    size: Number(release.file_size_bytes),
    url: release.download_url,
    issued_at: new Date(now).toISOString(),
    expires_at: new Date(now + STATEMENT_LIFETIME_MS).toISOString(),
    sequence: book.sequence,
  };
  const signed = signStatement(ctx.releaseKey, statement);
  book.signed.set(release.id, { at: now, signed });
  return signed;
}

/**
 * The statement of the catalogue's sequence that every heartbeat answer carries. An agent keeps
 * the highest sequence it has seen and refuses offers signed with a lower one: once an admin
 * deactivates a release, its old offers are refused by every agent that heartbeats here again,
 * not only by those that accepted a later offer.
 */
function catalogueStatement(ctx: AppContext, book: Catalogue): SignedStatement {
  if (book.current) return book.current;
  const now = ctx.clock().getTime();
  const statement: CatalogueStatement = {
    type: 'optralis-catalogue/v1',
    sequence: book.sequence,
    issued_at: new Date(now).toISOString(),
    expires_at: new Date(now + STATEMENT_LIFETIME_MS).toISOString(),
  };
  book.current = signStatement(ctx.releaseKey, statement);
  return book.current;
}

/** The releases part of a heartbeat answer. */
export interface HeartbeatReleases {
  update?: UpdateOffer;
  releases: SignedStatement;
}

export interface HeartbeatMachine {
  machineId: string;
  clientId: string;
  /** The stored channel and version, when the caller already read them (saves a query). */
  channel?: string;
  storedVersion?: string | null;
}

/**
 * The releases side of a heartbeat: counts what the agent reports about its last update, and
 * returns the signed catalogue statement and the signed update offer for the machine, if any.
 * Called before the heartbeat is recorded, so that the machine's previous version is still the
 * stored one.
 */
export async function releasesForHeartbeat(
  ctx: AppContext,
  machine: HeartbeatMachine,
  body: HeartbeatRequest,
): Promise<HeartbeatReleases | undefined> {
  const row =
    machine.channel !== undefined && machine.storedVersion !== undefined
      ? { channel: machine.channel, agent_version: machine.storedVersion }
      : await ctx.db
          .selectFrom('machines')
          .select(['channel', 'agent_version'])
          .where('id', '=', machine.machineId)
          .executeTakeFirst();
  if (!row) return undefined;
  // Most heartbeats report the version stored already and no update error: nothing to record.
  if (body.update_error || row.agent_version !== body.version) {
    await recordOutcome(ctx, machine, row.agent_version, body);
  }

  const cached = catalogue(ctx);
  const book = cached instanceof Promise ? await cached : cached;
  const releases = catalogueStatement(ctx, book);
  const release = chooseOffer(
    {
      id: machine.machineId,
      channel: row.channel,
      platform: body.platform,
      architecture: body.arch,
      version: body.version,
    },
    book.releases,
    book.pins.get(machine.clientId) ?? null,
  );
  if (!release) return { releases };
  ctx.metrics.updateOffers.inc({ channel: release.channel });
  const update = {
    version: release.version,
    download_url: release.download_url,
    checksum_sha256: release.checksum_sha256,
    file_size_bytes: Number(release.file_size_bytes),
    ...signedFor(ctx, book, release),
  };
  return { update, releases };
}

async function recordOutcome(
  ctx: AppContext,
  machine: HeartbeatMachine,
  previous: string | null,
  body: HeartbeatRequest,
): Promise<void> {
  const now = ctx.clock();
  const event = { clientId: machine.clientId, actor: `machine:${machine.machineId}` };
  if (body.update_error) {
    ctx.metrics.updateOutcomes.inc({ outcome: 'failed' });
    ctx.log.warn({ machineId: machine.machineId, version: body.version }, 'agent update failed');
    await recordAudit(
      ctx.db,
      {
        ...event,
        action: 'machine.update_failed',
        subject: machine.machineId,
        details: { version: body.version, error: body.update_error },
      },
      now,
    );
  }
  const was = previous ? semver.valid(previous) : null;
  const is = semver.valid(body.version);
  if (was && is && semver.gt(is, was)) {
    ctx.metrics.updateOutcomes.inc({ outcome: 'updated' });
    await recordAudit(
      ctx.db,
      {
        ...event,
        action: 'machine.updated',
        subject: machine.machineId,
        details: { from: was, to: is },
      },
      now,
    );
  }
}

import {
  type InventoryRequest,
  MAX_SAMPLES_PER_REQUEST,
  type MetricSample,
} from '@optralis/protocol';
import type { AgentLog } from './log';
import type { HeartbeatReadings, MachineSample } from './metrics/sampler';
import { OnceLog } from './reachability';
import { type AgentTransport, describeError } from './transport';

/** What takes the samples (the Sampler of metrics/). */
export interface SampleSource {
  sample(): Promise<MachineSample>;
  setMounts(mounts: string[]): void;
}

export interface TelemetryOptions {
  sampler: SampleSource;
  /** Collects the inventory (systeminformation: takes seconds, runs commands). */
  collectInventory: () => Promise<InventoryRequest>;
  log: AgentLog;
  /** Samples are posted at most this often (default one minute). */
  postEveryMs?: number;
  /** The inventory is sent at start and then this often (default a day). */
  inventoryEveryMs?: number;
  /** Samples kept while the server is away; the oldest go first (default 720). */
  maxBuffered?: number;
  now?: () => number;
}

type Sent = 'sent' | 'refused' | 'failed';

/**
 * What the agent reports besides heartbeats: a sample every interval, posted in batches to
 * `POST /collectors`, and the inventory at start and daily to `POST /inventory`. Samples taken
 * while the server is away are kept (up to a bound) and sent when it is back; a batch the
 * server refuses as invalid is dropped, so one bad sample cannot block the rest for ever.
 */
export class Telemetry {
  private buffer: MetricSample[] = [];
  private lastPost: number;
  private inventoryDue = 0;
  private inventory: Promise<InventoryRequest | undefined> | undefined;
  private readonly refusals: OnceLog;
  private readonly now: () => number;

  constructor(private readonly options: TelemetryOptions) {
    this.now = options.now ?? Date.now;
    this.lastPost = this.now();
    this.refusals = new OnceLog(options.log);
  }

  get buffered(): number {
    return this.buffer.length;
  }

  /** Takes this interval's sample; returns what the heartbeat reports of it. */
  async tick(): Promise<HeartbeatReadings> {
    const { sample, heartbeat } = await this.options.sampler.sample();
    this.buffer.push(sample);
    const max = this.options.maxBuffered ?? MAX_SAMPLES_PER_REQUEST;
    if (this.buffer.length > max) this.buffer.splice(0, this.buffer.length - max);
    return heartbeat;
  }

  /** After a good heartbeat: sends the inventory and the samples when they are due. */
  async sendDue(transport: AgentTransport): Promise<void> {
    await this.sendInventory(transport);
    if (
      this.buffer.length > 0 &&
      this.now() - this.lastPost >= (this.options.postEveryMs ?? 60_000)
    ) {
      await this.flush(transport);
    }
  }

  /** Posts every buffered sample now (also used at shutdown). */
  async flush(transport: AgentTransport): Promise<void> {
    const batch = this.buffer.slice(0, MAX_SAMPLES_PER_REQUEST);
    if (batch.length === 0) return;
    const outcome = await this.post(transport, '/collectors', { samples: batch });
    if (outcome === 'failed') return;
    this.buffer = this.buffer.slice(batch.length);
    this.lastPost = this.now();
  }

  private async sendInventory(transport: AgentTransport): Promise<void> {
    if (this.now() < this.inventoryDue) return;
    this.inventory ??= this.options.collectInventory().catch((error: unknown) => {
      this.refusals.warn('inventory:collect', 'cannot collect the inventory', {
        reason: (error as Error).message,
      });
      return undefined;
    });
    // Collection runs beside the heartbeats; the report goes with the first heartbeat after it.
    const ready = await Promise.race([this.inventory, Promise.resolve('pending' as const)]);
    if (ready === 'pending') return;
    this.inventory = undefined;
    if (ready) this.options.sampler.setMounts(ready.filesystems.map((fs) => fs.mount));
    const outcome = ready ? await this.post(transport, '/inventory', ready) : 'refused';
    if (outcome === 'failed') return;
    this.inventoryDue = this.now() + (this.options.inventoryEveryMs ?? 86_400_000);
  }

  private async post(transport: AgentTransport, path: string, body: unknown): Promise<Sent> {
    try {
      const response = await transport.postJson(path, body);
      if (response.status === 200) {
        this.refusals.clear(path);
        return 'sent';
      }
      const error = describeError(response);
      if (response.status >= 500 || response.status === 429) return 'failed';
      this.refusals.warn(`${path}:${error.code}`, 'the server refused a report', {
        path,
        code: error.code,
        reason: error.message,
      });
      return 'refused';
    } catch {
      // The connection failed: the next heartbeat says so if it lasts; try again then.
      return 'failed';
    }
  }
}

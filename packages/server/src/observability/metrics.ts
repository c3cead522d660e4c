import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Everything the server counts for Prometheus; one registry per running server. */
export interface Metrics {
  registry: Registry;
  enrollments: Counter<'outcome' | 'reason'>;
  tokenRefusals: Counter<'reason'>;
  heartbeats: Counter<'outcome'>;
  handshakes: Counter<'resumed'>;
  installerDownloads: Counter<'platform'>;
  updateOffers: Counter<'channel'>;
  updateOutcomes: Counter<'outcome'>;
  requestDuration: Histogram<'listener' | 'method' | 'route' | 'status'>;
}

/** What the gauges read at every scrape. */
export interface MetricSources {
  /** Machines seen within the online window: from the store, right across several servers. */
  countActiveMachines: () => Promise<number>;
  /** When the active CA certificate expires (it changes on rotation). */
  caNotAfter: () => Date;
}

/**
 * Builds the registry: the product's counters, gauges read at every scrape, and the standard
 * process and Node.js metrics (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`, …)
 * under their usual names, so that stock dashboards and alerts work.
 */
export function createMetrics(sources: MetricSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const caExpiry = new Gauge({
    name: 'optralis_ca_certificate_expiry_timestamp_seconds',
    help: 'When the active CA certificate expires, in seconds since the Unix epoch.',
    registers: [registry],
    collect() {
      this.set(Math.floor(sources.caNotAfter().getTime() / 1000));
    },
  });
  const activeMachines = new Gauge({
    name: 'optralis_active_machines',
    help: 'Machines that sent a heartbeat within the online window.',
    registers: [registry],
    async collect() {
      this.set(await sources.countActiveMachines());
    },
  });
  void activeMachines;
  void caExpiry;
  return {
    registry,
    enrollments: new Counter({
      name: 'optralis_enrollments_total',
      help: 'Bootstrap requests by outcome (enrolled, refused) and refusal reason.',
      labelNames: ['outcome', 'reason'],
      registers: [registry],
    }),
    tokenRefusals: new Counter({
      name: 'optralis_token_refusals_total',
      help: 'Bootstrap requests refused because of the install token, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    heartbeats: new Counter({
      name: 'optralis_heartbeats_total',
      help: 'Heartbeats received on the agent API, by outcome.',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    handshakes: new Counter({
      name: 'optralis_agent_tls_handshakes_total',
      help: 'TLS handshakes completed on the agent API; resumed="true" for resumed sessions.',
      labelNames: ['resumed'],
      registers: [registry],
    }),
    installerDownloads: new Counter({
      name: 'optralis_installer_downloads_total',
      help: 'Personalized installers and install scripts served, by platform.',
      labelNames: ['platform'],
      registers: [registry],
    }),
    updateOffers: new Counter({
      name: 'optralis_update_offers_total',
      help: 'Heartbeat answers that offered an agent update, by channel.',
      labelNames: ['channel'],
      registers: [registry],
    }),
    updateOutcomes: new Counter({
      name: 'optralis_update_outcomes_total',
      help: 'Agent updates reported by agents, by outcome (updated, failed).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 'optralis_http_request_duration_seconds',
      help: 'Request latency by listener, method, route pattern and status.',
      labelNames: ['listener', 'method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
  };
}

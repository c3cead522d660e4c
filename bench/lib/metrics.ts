/** The server's own counters (`/metrics`, Prometheus text), read by the benchmarks. */
export const METRICS_TOKEN = 'benchmark-metrics-token-0123456789';

function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((entry) => entry.startsWith(`${name}${labels} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

export interface ServerCounters {
  handshakes: number;
  resumed: number;
  heartbeats: number;
}

/** Needs a server started with OPTRALIS_METRICS_TOKEN = METRICS_TOKEN. */
export async function readCounters(publicUrl: string): Promise<ServerCounters> {
  const response = await fetch(`${publicUrl}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
  const text = await response.text();
  const handshakes = 'optralis_agent_tls_handshakes_total';
  return {
    handshakes:
      sample(text, handshakes, '{resumed="false"}') + sample(text, handshakes, '{resumed="true"}'),
    resumed: sample(text, handshakes, '{resumed="true"}'),
    heartbeats: sample(text, 'optralis_heartbeats_total', '{outcome="ok"}'),
  };
}

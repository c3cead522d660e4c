import type { Logger } from 'pino';
import type { CaTrust, CertificateAuthority } from './ca';
import type { ServerConfig } from './config';
import type { Db } from './db/database';
import type { Clock } from './ids';
import type { Metrics } from './observability/metrics';
import type { ReleaseKey } from './releases/signing';

/** Everything a route or service may use, built once at start-up and passed down. */
export interface AppContext {
  config: ServerConfig;
  db: Db;
  dialect: 'sqlite' | 'postgres';
  /** The issuing CA; replaced in place when a rotation is picked up. */
  ca: CertificateAuthority;
  caTrust: CaTrust;
  clock: Clock;
  log: Logger;
  jwtSecret: Uint8Array;
  metrics: Metrics;
  /** Signs update offers; kept apart from the CA. */
  releaseKey: ReleaseKey;
  /** Where people and agents reach the two listeners; settled once they listen. */
  urls: { publicUrl: string; agentApiUrl: string };
}

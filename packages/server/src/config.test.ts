import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';

describe('server configuration', () => {
  it('serves on loopback by default with the data directory under ./data', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      httpHost: '127.0.0.1',
      httpPort: 8080,
      agentHost: '127.0.0.1',
      agentPort: 8443,
      dataDir: path.resolve('data'),
      caDir: path.resolve('data/ca'),
      certificateLifetimeDays: 90,
      adminEmail: 'admin@localhost',
    });
  });

  it('lists every problem at once', () => {
    let error: unknown;
    try {
      loadConfig({
        OPTRALIS_HTTP_PORT: 'eighty',
        AGENT_API_URL: 'not a url',
        DATABASE_URL: 'mysql://x',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('OPTRALIS_HTTP_PORT');
    expect(problems).toContain('AGENT_API_URL');
    expect(problems).toContain('DATABASE_URL');
  });
});

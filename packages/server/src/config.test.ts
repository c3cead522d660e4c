import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';

/** The problems `loadConfig` reports for `env`, in order; fails the test when it accepts it. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('the configuration was accepted');
}

const PROXY_NEEDS_PROXIES =
  'OPTRALIS_TRUSTED_PROXIES: must name the proxy addresses when OPTRALIS_AGENT_TLS=proxy';
const KEY_INSIDE_CA =
  'OPTRALIS_RELEASE_KEY_DIR: must not be inside the CA directory: the release key is kept ' +
  'apart from the CA so that one stolen secret cannot forge both';
const KEY_IN_CA = { OPTRALIS_DATA_DIR: 'srv', OPTRALIS_RELEASE_KEY_DIR: 'srv/ca/release' };

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

  it('reports a rule between variables alone with the same message as before', () => {
    expect(problemsOf({ OPTRALIS_AGENT_TLS: 'proxy' })).toEqual([PROXY_NEEDS_PROXIES]);
    expect(problemsOf(KEY_IN_CA)).toEqual([KEY_INSIDE_CA]);
    expect(problemsOf({ OPTRALIS_CA_DIR: 'keys', OPTRALIS_RELEASE_KEY_DIR: 'keys' })).toEqual([
      KEY_INSIDE_CA,
    ]);
  });

  it('reports proxy mode without proxies together with a bad port', () => {
    expect(problemsOf({ OPTRALIS_HTTP_PORT: '70000', OPTRALIS_AGENT_TLS: 'proxy' })).toEqual([
      'OPTRALIS_HTTP_PORT: Too big: expected number to be <=65535',
      PROXY_NEEDS_PROXIES,
    ]);
  });

  it('reports a release key inside the CA together with another bad variable', () => {
    expect(problemsOf({ ...KEY_IN_CA, DATABASE_URL: 'mysql://x' })).toEqual([
      'DATABASE_URL: must be a postgres:// URL',
      KEY_INSIDE_CA,
    ]);
  });

  it('checks each rule even when a variable read by another rule is wrong', () => {
    expect(problemsOf({ ...KEY_IN_CA, OPTRALIS_AGENT_TLS: 'tls' })).toEqual([
      'OPTRALIS_AGENT_TLS: Invalid option: expected one of "mtls"|"proxy"',
      KEY_INSIDE_CA,
    ]);
    expect(problemsOf({ ...KEY_IN_CA, OPTRALIS_TRUSTED_PROXIES: '10.0.0.0/33' })).toEqual([
      'OPTRALIS_TRUSTED_PROXIES.0: must be IP addresses or CIDR ranges',
      KEY_INSIDE_CA,
    ]);
  });

  it('adds no rule complaint about a variable that is already wrong', () => {
    expect(
      problemsOf({ OPTRALIS_AGENT_TLS: 'proxy', OPTRALIS_TRUSTED_PROXIES: 'proxy.example' }),
    ).toEqual(['OPTRALIS_TRUSTED_PROXIES.0: must be IP addresses or CIDR ranges']);
  });
});

declare const __OPTRALIS_AGENT_VERSION__: string | undefined;

/** Set by the build (`--define`); a source checkout reports a development version. */
export const AGENT_VERSION: string =
  typeof __OPTRALIS_AGENT_VERSION__ === 'string' ? __OPTRALIS_AGENT_VERSION__ : '0.0.0-dev';

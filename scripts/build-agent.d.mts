/** One flag of the build's command line, as `node:util` parseArgs takes it. */
export interface BuildOption {
  type: 'string' | 'boolean';
  short?: string;
  default?: string | boolean;
}

export const BUILD_OPTIONS: Record<string, BuildOption>;

export interface SigningOptions {
  pkcs12?: string;
  cert?: string;
  key?: string;
  passwordFile?: string;
  timestampUrl?: string;
}

/** The build's options as parsed from its command line and environment (see build-agent.mjs). */
export function parseOptions(
  argv: string[],
  env: Record<string, string | undefined>,
): {
  help: boolean;
  version?: string;
  channel?: string;
  targets?: string[];
  out?: string;
  signing?: SigningOptions;
};

/** The build's options as parsed from its command line and environment (see build-agent.mjs). */
export function parseOptions(
  argv: string[],
  env: Record<string, string | undefined>,
): { help: boolean; version?: string; channel?: string; targets?: string[]; out?: string };

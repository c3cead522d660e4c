import { AgentError } from '../errors';

/** The service wrapper's program and its .NET runtime configuration. */
export interface ServiceWrapperFiles {
  exe: Buffer;
  runtimeConfig: Buffer;
}

/** Names of the wrapper's files inside the agent executable (single executable assets). */
export const WRAPPER_ASSETS = { exe: 'winsw.exe', runtimeConfig: 'winsw.exe.config' } as const;

type Sea = { isSea(): boolean; getAsset(key: string): ArrayBuffer };

/**
 * WinSW 1.17 from npm `node-windows` (bin/winsw/), carried inside the agent executable as
 * single-executable assets by the build (scripts/agent/sea.mjs).
 */
export function shippedServiceWrapper(): ServiceWrapperFiles {
  const sea = process.getBuiltinModule?.('node:sea') as Sea | undefined;
  if (!sea?.isSea()) {
    throw new AgentError(
      'wrapper_missing',
      "le programme de service n'est inclus que dans l'exécutable Windows de l'agent",
      1,
    );
  }
  return {
    exe: Buffer.from(sea.getAsset(WRAPPER_ASSETS.exe)),
    runtimeConfig: Buffer.from(sea.getAsset(WRAPPER_ASSETS.runtimeConfig)),
  };
}

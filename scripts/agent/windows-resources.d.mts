export const SUBSYSTEM_WINDOWS_GUI: 2;
export function windowsVersion(version: string): [number, number, number, number];
export function agentManifest(version: string): string;
export function applyWindowsResources(file: string, options: { version: string }): void;
export function readWindowsResources(bytes: Uint8Array): {
  subsystem: number;
  strings: Record<string, string>;
  fileVersion: number | undefined;
  manifest: string | undefined;
  iconGroups: { id: number | string; icons: number }[];
};
export function writePeChecksum(file: string): void;

export const NODE_VERSION: string;
export const TARGETS: string[];
export function hostTarget(): 'linux-amd64' | 'linux-arm64' | 'windows-amd64' | undefined;

import type { InstallerFlags } from '../install/flags';
import type { InstallerPayload } from '../install/payload';
import type { WindowsPlatform } from '../windows/platform';

/** The graphical installer. */
export async function runGui(
  _flags: InstallerFlags,
  _deps: { platform: WindowsPlatform; payload?: InstallerPayload | undefined },
): Promise<number> {
  throw new Error('the graphical installer is not built yet: use -silent');
}

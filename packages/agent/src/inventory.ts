import os from 'node:os';
import { type InventoryRequest, inventoryRequestSchema, type Platform } from '@optralis/protocol';
import si from 'systeminformation';
import { boundedNumber, cleanText, wholeNumber } from './text';

/** What systeminformation says about the machine; each part may be missing if its probe failed. */
export interface SystemFacts {
  os?: Partial<si.Systeminformation.OsData>;
  system?: Partial<si.Systeminformation.SystemData>;
  cpu?: Partial<si.Systeminformation.CpuData>;
  mem?: Partial<si.Systeminformation.MemData>;
  disks?: Partial<si.Systeminformation.DiskLayoutData>[];
  filesystems?: Partial<si.Systeminformation.FsSizeData>[];
  interfaces?: Partial<si.Systeminformation.NetworkInterfacesData>[];
}

/** Filesystems that hold no data of the machine's own (memory, images, firmware variables). */
const PSEUDO_FILESYSTEMS = new Set([
  'tmpfs',
  'devtmpfs',
  'overlay',
  'squashfs',
  'efivarfs',
  'ramfs',
  'proc',
  'sysfs',
]);

const PROBE_TIMEOUT_MS = 60_000;

/** One systeminformation probe, bounded in time; a failure leaves its part out. */
function probe<T>(work: () => Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), PROBE_TIMEOUT_MS);
    timer.unref();
  });
  return Promise.race([work().catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

/**
 * Asks systeminformation, part by part. It runs system commands (lsblk, df, dmidecode on Linux;
 * PowerShell on Windows); a part whose command is missing or fails is simply not reported.
 */
export async function readSystemFacts(): Promise<SystemFacts> {
  const [osData, system, cpu, mem, disks, filesystems, interfaces] = await Promise.all([
    probe(() => si.osInfo()),
    probe(() => si.system()),
    probe(() => si.cpu()),
    probe(() => si.mem()),
    probe(() => si.diskLayout()),
    probe(() => si.fsSize()),
    probe(() => si.networkInterfaces() as Promise<si.Systeminformation.NetworkInterfacesData[]>),
  ]);
  return {
    ...(osData ? { os: osData } : {}),
    ...(system ? { system } : {}),
    ...(cpu ? { cpu } : {}),
    ...(mem ? { mem } : {}),
    ...(disks ? { disks } : {}),
    ...(filesystems ? { filesystems } : {}),
    ...(Array.isArray(interfaces) ? { interfaces } : {}),
  };
}

function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function addresses(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.flatMap((item) => cleanText(item, 64) ?? []).slice(0, 64);
}

export interface InventoryContext {
  hostname: string;
  hardwareId: string | undefined;
  platform: Platform;
  now: Date;
}

/**
 * The inventory report from whatever the probes gave, made to fit the protocol's bounds: text
 * cleaned and cut, numbers checked, lists capped. It always passes the schema.
 */
export function buildInventory(facts: SystemFacts, context: InventoryContext): InventoryRequest {
  const { os: osData = {}, system = {}, cpu = {}, mem = {} } = facts;
  const osName =
    cleanText(osData.distro, 128) ??
    (context.platform === 'windows' ? 'Windows' : (cleanText(os.type(), 128) ?? 'Linux'));
  const cores = wholeNumber(cpu.cores, 65_536) ?? os.cpus().length;
  const report: InventoryRequest = {
    collected_at: context.now.toISOString(),
    hostname: cleanText(context.hostname, 253) ?? 'unknown',
    ...defined({ hardware_id: cleanText(context.hardwareId, 128) }),
    os: defined({
      platform: context.platform,
      name: osName,
      version: cleanText(osData.release, 64),
      build: cleanText(osData.build, 64),
      kernel: cleanText(osData.kernel, 128),
      arch: cleanText(osData.arch, 32) ?? process.arch,
    }),
    system: defined({
      manufacturer: cleanText(system.manufacturer, 128),
      model: cleanText(system.model, 128),
      serial: cleanText(system.serial, 128),
      virtual: typeof system.virtual === 'boolean' ? system.virtual : undefined,
    }),
    cpu: defined({
      manufacturer: cleanText(cpu.manufacturer, 64),
      model:
        cleanText([cpu.manufacturer, cpu.brand].filter(Boolean).join(' '), 128) ??
        cleanText(os.cpus()[0]?.model, 128) ??
        'unknown',
      cores,
      physical_cores: wholeNumber(cpu.physicalCores, 65_536),
      sockets: wholeNumber(cpu.processors, 1024),
      speed_ghz: boundedNumber(cpu.speed, 0.01, 100),
    }),
    memory: defined({
      total_bytes: wholeNumber(mem.total) ?? os.totalmem(),
      swap_total_bytes: wholeNumber(mem.swaptotal),
    }),
    disks: (facts.disks ?? []).slice(0, 128).flatMap((disk) => {
      const device = cleanText(disk.device, 256) ?? cleanText(disk.name, 256);
      const size = wholeNumber(disk.size);
      if (!device || size === undefined) return [];
      return [
        defined({
          device,
          name: cleanText(disk.name, 256),
          type: cleanText(disk.type, 32),
          interface: cleanText(disk.interfaceType, 32),
          serial: cleanText(disk.serialNum, 128),
          size_bytes: size,
        }),
      ];
    }),
    filesystems: (facts.filesystems ?? [])
      .flatMap((fs) => {
        const mount = cleanText(fs.mount, 512);
        const size = wholeNumber(fs.size);
        const type = cleanText(fs.type, 64);
        if (!mount || size === undefined || PSEUDO_FILESYSTEMS.has(type?.toLowerCase() ?? '')) {
          return [];
        }
        const used = Math.min(size, wholeNumber(fs.used) ?? 0);
        return [
          defined({
            mount,
            device: cleanText(fs.fs, 512),
            type,
            size_bytes: size,
            used_bytes: used,
          }),
        ];
      })
      .slice(0, 256),
    network_interfaces: (facts.interfaces ?? [])
      .flatMap((nic) => {
        const name = cleanText(nic.iface, 128);
        if (!name || nic.internal === true) return [];
        return [
          defined({
            name,
            mac: cleanText(nic.mac, 32),
            ipv4: addresses(nic.ip4),
            ipv6: addresses(nic.ip6),
            speed_mbps: boundedNumber(nic.speed, 0, 10_000_000),
            type: cleanText(nic.type, 32),
            virtual: typeof nic.virtual === 'boolean' ? nic.virtual : undefined,
          }),
        ];
      })
      .slice(0, 256),
  };
  // The bounds above are the schema's; a mismatch is a bug here, not bad input.
  return inventoryRequestSchema.parse(report);
}

import { z } from 'zod';
import { platformSchema } from './platform';
import { byteCount, isoInstantSchema, optionalText } from './telemetry';
import { hostnameSchema, plainText } from './text';

const count = (max: number) => z.number().int().min(0).max(max);

export const inventoryDiskSchema = z.object({
  device: plainText(256),
  name: optionalText(256),
  /** HD, SSD, NVMe, … as the system reports it. */
  type: optionalText(32),
  interface: optionalText(32),
  serial: optionalText(128),
  size_bytes: byteCount,
});

export const inventoryFilesystemSchema = z.object({
  mount: plainText(512),
  device: optionalText(512),
  type: optionalText(64),
  size_bytes: byteCount,
  used_bytes: byteCount,
});

export const inventoryInterfaceSchema = z.object({
  name: plainText(128),
  mac: optionalText(32),
  ipv4: z.array(plainText(64)).max(64),
  ipv6: z.array(plainText(64)).max(64),
  /** Link speed in Mbit/s when known. */
  speed_mbps: z.number().min(0).max(10_000_000).optional(),
  type: optionalText(32),
  virtual: z.boolean().optional(),
});

/**
 * `POST /inventory`: what the machine is made of, sent when the agent starts and once a day.
 * Every list and string is bounded: a machine with more than these is reported truncated.
 */
export const inventoryRequestSchema = z.object({
  collected_at: isoInstantSchema,
  hostname: hostnameSchema,
  hardware_id: optionalText(128),
  os: z.object({
    platform: platformSchema,
    /** "Debian GNU/Linux", "Microsoft Windows 11 Pro", … */
    name: plainText(128),
    version: optionalText(64),
    build: optionalText(64),
    kernel: optionalText(128),
    arch: plainText(32),
  }),
  system: z
    .object({
      manufacturer: optionalText(128),
      model: optionalText(128),
      serial: optionalText(128),
      virtual: z.boolean().optional(),
    })
    .optional(),
  cpu: z.object({
    manufacturer: optionalText(64),
    model: plainText(128),
    cores: count(65_536),
    physical_cores: count(65_536).optional(),
    sockets: count(1024).optional(),
    speed_ghz: z.number().min(0).max(100).optional(),
  }),
  memory: z.object({ total_bytes: byteCount, swap_total_bytes: byteCount.optional() }),
  disks: z.array(inventoryDiskSchema).max(128),
  filesystems: z.array(inventoryFilesystemSchema).max(256),
  network_interfaces: z.array(inventoryInterfaceSchema).max(256),
});

export type InventoryRequest = z.infer<typeof inventoryRequestSchema>;

export const inventoryResponseSchema = z.object({ status: z.literal('ok') });

/** `GET /api/machines/:id/inventory`: the last inventory received, or null before the first. */
export const machineInventoryResponseSchema = z.object({
  inventory: inventoryRequestSchema
    .extend({ received_at: z.string() })
    .nullable()
    .describe('The last inventory the machine sent, with when it arrived.'),
});

import { z } from 'zod';
import {
  isoInstantSchema,
  isPlausibleCelsius,
  percentSchema,
  plausibleCelsiusSchema,
  reportedCelsiusSchema,
  reportedTemperatureSchema,
  temperatureSchema,
  usageSchema,
} from './telemetry';
import { plainText } from './text';

/** Bytes per second: a 400 Gbit/s link moves 5e10; anything far above is a counter glitch. */
const rate = z.number().min(0).max(1e12);

/**
 * One sample of the machine, taken every heartbeat interval. CPU and network are averages over
 * the time since the previous sample; memory, disks and temperatures are readings at `at`.
 */
export const metricSampleSchema = z.object({
  at: isoInstantSchema,
  /** Seconds the averages cover (since the previous sample). */
  period_seconds: z.number().min(0).max(86_400).optional(),
  cpu_percent: percentSchema.nullable(),
  load_1m: z.number().min(0).max(1e6).optional(),
  memory: usageSchema.optional(),
  swap: usageSchema.optional(),
  disks: z.array(z.object({ mount: plainText(512), ...usageSchema.shape })).max(64),
  network: z
    .array(
      z.object({
        name: plainText(128),
        rx_bytes_per_second: rate,
        tx_bytes_per_second: rate,
      }),
    )
    .max(64),
  /** The CPU (or system) temperature, -1 when unavailable. */
  temperature_c: temperatureSchema.optional(),
  /** Every sensor that gave a believable reading. */
  temperatures: z
    .array(z.object({ sensor: plainText(128), celsius: plausibleCelsiusSchema }))
    .max(64)
    .optional(),
});

/**
 * A sample as the server receives it. An impossible temperature is read as unavailable and an
 * impossible sensor reading is left out, so that one bad sensor never costs the batch; what is
 * stored and served is then a metricSampleSchema.
 */
export const reportedMetricSampleSchema = metricSampleSchema.extend({
  temperature_c: reportedTemperatureSchema.optional(),
  temperatures: z
    .array(
      z.object({
        sensor: plainText(128),
        celsius: reportedCelsiusSchema.describe('Left out unless between 1 and 150 °C.'),
      }),
    )
    .max(64)
    .transform((sensors) => sensors.filter((sensor) => isPlausibleCelsius(sensor.celsius)))
    .optional(),
});

export type MetricSample = z.infer<typeof metricSampleSchema>;

/** The most samples one request carries: an hour at the shortest usual interval (5 s). */
export const MAX_SAMPLES_PER_REQUEST = 720;

/** `POST /collectors`: samples collected since the last successful post. */
export const collectorsRequestSchema = z.object({
  samples: z.array(reportedMetricSampleSchema).min(1).max(MAX_SAMPLES_PER_REQUEST),
});

export type CollectorsRequest = z.infer<typeof collectorsRequestSchema>;

export const collectorsResponseSchema = z.object({
  status: z.literal('ok'),
  /** Samples stored by this request; a sample already stored (a retry) is not counted again. */
  stored: z.number().int(),
});

/** `GET /api/machines/:id/metrics`: samples, oldest first. */
export const machineMetricsQuerySchema = z.object({
  since: isoInstantSchema.optional().describe('Only samples taken at or after this instant.'),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});

export const machineMetricsResponseSchema = z.object({
  samples: z.array(metricSampleSchema),
});

import { z } from 'zod';
import { plainText } from './text';

/** Byte counts: whole, non-negative, and exact in a JavaScript number. */
export const byteCount = z
  .number()
  .int()
  .min(0)
  .max(2 ** 53 - 1);

export const percentSchema = z.number().min(0).max(100);

/**
 * A temperature in degrees Celsius as the agent reports it. `-1` means "no sensor gave a
 * believable reading" (the specification's value); otherwise the reading lies between 1 °C and
 * 150 °C. Readings outside that range come from a broken or unimplemented sensor (firmware that
 * answers 0 K or 0 °C), or from a unit mistake (kelvin or tenths of kelvin read as Celsius,
 * millidegrees read as degrees), and are sent as -1, never as they are. The server stores -1
 * as "unavailable" (null).
 */
export const TEMPERATURE_UNAVAILABLE = -1;
export const MIN_PLAUSIBLE_CELSIUS = 1;
export const MAX_PLAUSIBLE_CELSIUS = 150;
export const plausibleCelsiusSchema = z
  .number()
  .min(MIN_PLAUSIBLE_CELSIUS)
  .max(MAX_PLAUSIBLE_CELSIUS);
export const temperatureSchema = z.union([
  z.literal(TEMPERATURE_UNAVAILABLE),
  plausibleCelsiusSchema,
]);

/** Beyond any unit mistake (millikelvin of a hot CPU is about 4e5): not a reading, refused. */
export const MAX_REPORTED_TEMPERATURE_MAGNITUDE = 1_000_000;

/**
 * A reading in °C as the server receives it, before it is judged: a number, and not beyond any
 * unit mistake. Older agents sent 0 K, -273.15 or tenths of kelvin as they were; such a reading
 * must not cost the machine its heartbeat or a batch of samples, so it is accepted here and
 * judged with isPlausibleCelsius by whoever reads it.
 */
export const reportedCelsiusSchema = z
  .number()
  .min(-MAX_REPORTED_TEMPERATURE_MAGNITUDE)
  .max(MAX_REPORTED_TEMPERATURE_MAGNITUDE);

/** A reported temperature: an impossible reading is read as -1, "unavailable". */
export const reportedTemperatureSchema = reportedCelsiusSchema
  .describe('Degrees Celsius, 1 to 150, or -1 when unavailable; any other reading is read as -1.')
  .transform((value) => (isPlausibleCelsius(value) ? value : TEMPERATURE_UNAVAILABLE));

/** Whether a reading in °C is one a real sensor of a running machine can give. */
export function isPlausibleCelsius(value: number): boolean {
  return Number.isFinite(value) && value >= MIN_PLAUSIBLE_CELSIUS && value <= MAX_PLAUSIBLE_CELSIUS;
}

export const usageSchema = z.object({ total_bytes: byteCount, used_bytes: byteCount });

/** An instant written by `Date#toISOString` (UTC, milliseconds). */
export const isoInstantSchema = z
  .string()
  .max(32)
  .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/, 'must be an ISO 8601 UTC instant')
  .refine((value) => Number.isFinite(Date.parse(value)), 'must be a real date');

/** Free text from the machine that may be missing (systeminformation gives '' then). */
export function optionalText(max: number) {
  return plainText(max).optional();
}

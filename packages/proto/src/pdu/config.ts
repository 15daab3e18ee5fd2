import { readAlgorithmId, readBoundedString } from "../signature/readers.ts";
import { ConfigTag, PduChildTag } from "../signature/tags.ts";
import { encodeTlvSequence } from "../tlv/codec.ts";
import { type TlvElement, tlv } from "../tlv/element.ts";
import { Fields } from "../tlv/fields.ts";
import { decodeSafeUint, stringTlv, uintTlv } from "../tlv/values.ts";
import { MAX_PARENT_URIS, MAX_URI_BYTES } from "./limits.ts";

/**
 * Service configuration (PDU child 0x04). A client asks for it with an empty 0x04 element; the server
 * answers with the fields that apply to its service.
 */

export interface AggregatorConfig {
  /** Highest level the client's own aggregation tree may reach. */
  readonly maxLevel?: number;
  /** Hash algorithm the client should aggregate with. */
  readonly aggregationAlgorithm?: number;
  /** Recommended client round, in milliseconds. */
  readonly aggregationPeriod?: number;
  /** Requests the client may send per aggregation period. */
  readonly maxRequests?: number;
  readonly parentUris: readonly string[];
}

export interface ExtenderConfig {
  readonly maxRequests?: number;
  readonly parentUris: readonly string[];
  /** Aggregation time of the oldest calendar entry. */
  readonly calendarFirstTime?: number;
  /** Aggregation time of the newest calendar entry. */
  readonly calendarLastTime?: number;
}

const PARENT_URI = { type: ConfigTag.PARENT_URI, name: "parent URI", max: MAX_PARENT_URIS } as const;
const MAX_REQUESTS = { type: ConfigTag.MAX_REQUESTS, name: "max requests" } as const;

const AGGREGATOR_SPECS = [
  { type: ConfigTag.MAX_LEVEL, name: "max level" },
  { type: ConfigTag.AGGREGATION_ALGORITHM, name: "aggregation algorithm" },
  { type: ConfigTag.AGGREGATION_PERIOD, name: "aggregation period" },
  MAX_REQUESTS,
  PARENT_URI,
] as const;

const EXTENDER_SPECS = [
  MAX_REQUESTS,
  PARENT_URI,
  { type: ConfigTag.CALENDAR_FIRST_TIME, name: "calendar first time" },
  { type: ConfigTag.CALENDAR_LAST_TIME, name: "calendar last time" },
] as const;

function optionalUint(fields: Fields, type: number): number | undefined {
  const element = fields.optional(type);
  return element === undefined ? undefined : decodeSafeUint(element);
}

function parentUris(fields: Fields): string[] {
  return fields.all(ConfigTag.PARENT_URI).map((uri) => readBoundedString(uri, MAX_URI_BYTES, "parent URI"));
}

/** Writes the present fields in ascending tag order. */
function encodeConfig(numbers: readonly [number, number | undefined][], uris: readonly string[]): TlvElement {
  const children: TlvElement[] = [];
  for (const [type, value] of numbers) if (value !== undefined) children.push(uintTlv(type, value));
  for (const uri of uris) children.push(stringTlv(ConfigTag.PARENT_URI, uri));
  children.sort((a, b) => a.type - b.type);
  return tlv(PduChildTag.CONFIG, encodeTlvSequence(children));
}

export function decodeAggregatorConfig(element: TlvElement): AggregatorConfig {
  const fields = new Fields(element, AGGREGATOR_SPECS, "aggregator configuration");
  const algorithm = fields.optional(ConfigTag.AGGREGATION_ALGORITHM);
  const maxLevel = optionalUint(fields, ConfigTag.MAX_LEVEL);
  const period = optionalUint(fields, ConfigTag.AGGREGATION_PERIOD);
  const maxRequests = optionalUint(fields, ConfigTag.MAX_REQUESTS);
  return {
    ...(maxLevel !== undefined && { maxLevel }),
    ...(algorithm !== undefined && {
      aggregationAlgorithm: readAlgorithmId(algorithm, "aggregation algorithm"),
    }),
    ...(period !== undefined && { aggregationPeriod: period }),
    ...(maxRequests !== undefined && { maxRequests }),
    parentUris: parentUris(fields),
  };
}

export function encodeAggregatorConfig(config: AggregatorConfig): TlvElement {
  return encodeConfig(
    [
      [ConfigTag.MAX_LEVEL, config.maxLevel],
      [ConfigTag.AGGREGATION_ALGORITHM, config.aggregationAlgorithm],
      [ConfigTag.AGGREGATION_PERIOD, config.aggregationPeriod],
      [ConfigTag.MAX_REQUESTS, config.maxRequests],
    ],
    config.parentUris,
  );
}

export function decodeExtenderConfig(element: TlvElement): ExtenderConfig {
  const fields = new Fields(element, EXTENDER_SPECS, "extender configuration");
  const maxRequests = optionalUint(fields, ConfigTag.MAX_REQUESTS);
  const first = optionalUint(fields, ConfigTag.CALENDAR_FIRST_TIME);
  const last = optionalUint(fields, ConfigTag.CALENDAR_LAST_TIME);
  return {
    ...(maxRequests !== undefined && { maxRequests }),
    parentUris: parentUris(fields),
    ...(first !== undefined && { calendarFirstTime: first }),
    ...(last !== undefined && { calendarLastTime: last }),
  };
}

export function encodeExtenderConfig(config: ExtenderConfig): TlvElement {
  return encodeConfig(
    [
      [ConfigTag.MAX_REQUESTS, config.maxRequests],
      [ConfigTag.CALENDAR_FIRST_TIME, config.calendarFirstTime],
      [ConfigTag.CALENDAR_LAST_TIME, config.calendarLastTime],
    ],
    config.parentUris,
  );
}

import { AckTag, PduChildTag } from "../signature/tags.ts";
import { encodeTlvSequence } from "../tlv/codec.ts";
import { type TlvElement, tlv } from "../tlv/element.ts";
import { Fields } from "../tlv/fields.ts";
import { decodeSafeUint, decodeUint, uintTlv } from "../tlv/values.ts";

/**
 * Aggregator acknowledgment (PDU child 0x05). A client sends one, usually with just its request time, to
 * measure latency; the server answers at once, without waiting for its round to end.
 */
export interface AggregationAck {
  /** Client clock when sending, microseconds since the epoch (echoed back). */
  readonly requestTime?: bigint;
  /** Server clock on receipt; equals the request time in the metadata of a request in the same PDU. */
  readonly receiptTime?: bigint;
  readonly ackTime?: bigint;
  /** Milliseconds from receipt to the end of the server's current round. */
  readonly aggregationDelay?: number;
  /** The server's round length in milliseconds. */
  readonly aggregationPeriod?: number;
  /** Offset of the server's round boundaries from multiples of the period, in milliseconds. */
  readonly aggregationDrift?: number;
}

const SPECS = [
  { type: AckTag.REQUEST_TIME, name: "request time" },
  { type: AckTag.RECEIPT_TIME, name: "receipt time" },
  { type: AckTag.ACK_TIME, name: "acknowledgment time" },
  { type: AckTag.AGGREGATION_DELAY, name: "aggregation delay" },
  { type: AckTag.AGGREGATION_PERIOD, name: "aggregation period" },
  { type: AckTag.AGGREGATION_DRIFT, name: "aggregation drift" },
] as const;

export function decodeAggregationAck(element: TlvElement): AggregationAck {
  const fields = new Fields(element, SPECS, "aggregator acknowledgment");
  const time = (type: number) => {
    const child = fields.optional(type);
    return child === undefined ? undefined : decodeUint(child);
  };
  const millis = (type: number) => {
    const child = fields.optional(type);
    return child === undefined ? undefined : decodeSafeUint(child);
  };
  const requestTime = time(AckTag.REQUEST_TIME);
  const receiptTime = time(AckTag.RECEIPT_TIME);
  const ackTime = time(AckTag.ACK_TIME);
  const aggregationDelay = millis(AckTag.AGGREGATION_DELAY);
  const aggregationPeriod = millis(AckTag.AGGREGATION_PERIOD);
  const aggregationDrift = millis(AckTag.AGGREGATION_DRIFT);
  return {
    ...(requestTime !== undefined && { requestTime }),
    ...(receiptTime !== undefined && { receiptTime }),
    ...(ackTime !== undefined && { ackTime }),
    ...(aggregationDelay !== undefined && { aggregationDelay }),
    ...(aggregationPeriod !== undefined && { aggregationPeriod }),
    ...(aggregationDrift !== undefined && { aggregationDrift }),
  };
}

export function encodeAggregationAck(ack: AggregationAck): TlvElement {
  const values: [number, bigint | number | undefined][] = [
    [AckTag.REQUEST_TIME, ack.requestTime],
    [AckTag.RECEIPT_TIME, ack.receiptTime],
    [AckTag.ACK_TIME, ack.ackTime],
    [AckTag.AGGREGATION_DELAY, ack.aggregationDelay],
    [AckTag.AGGREGATION_PERIOD, ack.aggregationPeriod],
    [AckTag.AGGREGATION_DRIFT, ack.aggregationDrift],
  ];
  const children: TlvElement[] = [];
  for (const [type, value] of values) if (value !== undefined) children.push(uintTlv(type, value));
  return tlv(PduChildTag.ACK, encodeTlvSequence(children));
}

import {
  aggregationAlgorithmDeprecatedRule,
  aggregationChainConsistencyRule,
  aggregationTimeConsistencyRule,
  chainIndexContinuationRule,
  chainIndexShapeRule,
  inputHashAlgorithmDeprecatedRule,
} from "./aggregation-rules.ts";
import { calendarChainRule } from "./calendar-rules.ts";
import { documentHashAlgorithmRule, documentHashRule, inputLevelRule } from "./document-rules.ts";
import { metadataRule } from "./metadata-rule.ts";
import { rfc3161AlgorithmsRule, rfc3161OutputAlgorithmRule, rfc3161OutputHashRule } from "./rfc3161-rules.ts";
import { allOf } from "./rule.ts";

/**
 * KSI's internal policy: the signature is consistent in itself and with the given document. Needs
 * no keys and no service; every other policy starts with it. The order is KSI's, so a signature
 * with several faults gets the same code as from any other KSI verifier.
 */
export const internalPolicy = allOf("InternalPolicy", [
  documentHashAlgorithmRule,
  documentHashRule,
  inputLevelRule,
  inputHashAlgorithmDeprecatedRule,
  rfc3161AlgorithmsRule,
  rfc3161OutputAlgorithmRule,
  rfc3161OutputHashRule,
  metadataRule,
  aggregationAlgorithmDeprecatedRule,
  chainIndexContinuationRule,
  aggregationTimeConsistencyRule,
  aggregationChainConsistencyRule,
  chainIndexShapeRule,
  calendarChainRule,
]);

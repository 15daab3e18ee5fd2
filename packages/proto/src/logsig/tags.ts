/** Top-level TLV types of KSI log signature files (LOGSIG12; logksi and rsyslog's lmsig_ksi-ls12). */
export const LogsigTag = {
  BLOCK_HEADER: 0x901,
  RECORD_HASH: 0x902,
  TREE_HASH: 0x903,
  BLOCK_SIGNATURE: 0x904,
  KSI_SIGNATURE: 0x905,
  RFC3161_TOKEN: 0x906,
  RECORD_CHAIN: 0x907,
  META_RECORD: 0x911,
} as const;

/** Children of the block header (0x901). */
export const HeaderTag = { ALGORITHM: 0x01, SEED: 0x02, INPUT_HASH: 0x03 } as const;

/** Children of the block signature (0x904) and of its "no signature" element (0x02). */
export const BlockSignatureTag = { RECORD_COUNT: 0x01, UNSIGNED: 0x02, ROOT: 0x01, REASON: 0x02 } as const;

/** Children of a meta-record (0x911) and of its key-value pair. */
export const MetaRecordTag = { INDEX: 0x01, PAIR: 0x02, KEY: 0x01, VALUE: 0x02 } as const;

/** Children of a record chain (0x907) and of its hash steps. */
export const RecordChainTag = {
  RECORD_HASH: 0x01,
  /** The running hash is the left operand (sibling on the right). */
  STEP_LEFT: 0x02,
  /** The running hash is the right operand (sibling on the left). */
  STEP_RIGHT: 0x03,
  LEVEL_CORRECTION: 0x01,
  SIBLING: 0x02,
} as const;

/** The 8-byte magic at the start of each kind of file. */
export const LogsigMagic = {
  /** An integrated log signature, `<log>.logsig`. */
  LOGSIG12: "LOGSIG12",
  /** Record proofs written by `logksi extract`, `<log>.excerpt.logsig`. */
  RECSIG12: "RECSIG12",
} as const;

export type LogsigMagicName = (typeof LogsigMagic)[keyof typeof LogsigMagic];

export const MAGIC_LENGTH = 8;

/** The one meta-record key the KSI writers use. */
export const BLOCK_CLOSE_REASON_KEY = "com.guardtime.blockCloseReason";

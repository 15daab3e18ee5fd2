import { TempelError } from "../errors.ts";

/** A log signature file that breaks the LOGSIG12 grammar or element rules. */
export class LogsigFormatError extends TempelError {}

import { TempelError } from "@tempel/proto";

/** The command line or an input file cannot be used; the message says what to do instead. */
export class UsageError extends TempelError {
  constructor(message: string) {
    super("USAGE", message);
  }
}

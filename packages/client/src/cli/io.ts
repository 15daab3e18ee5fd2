/** Where a command writes: text for people on `out`, problems on `err`. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

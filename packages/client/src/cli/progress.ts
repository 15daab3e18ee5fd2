/**
 * A one-line progress bar on a terminal's standard error, redrawn in place; nothing when standard
 * error is not a terminal, so logs and pipes stay clean.
 */
export class ProgressBar {
  readonly #total: number;
  readonly #what: string;
  readonly #stream: NodeJS.WriteStream;
  readonly #enabled: boolean;

  constructor(total: number, what: string, stream: NodeJS.WriteStream = process.stderr) {
    this.#total = total;
    this.#what = what;
    this.#stream = stream;
    this.#enabled = stream.isTTY === true && total > 1;
  }

  update(done: number): void {
    if (!this.#enabled) return;
    const width = 30;
    const filled = Math.round((done / this.#total) * width);
    const bar = `${"#".repeat(filled)}${".".repeat(width - filled)}`;
    this.#stream.write(`\r[${bar}] ${done}/${this.#total} ${this.#what}`);
  }

  /** Clears the bar's line, so what is printed next starts on a clean line; update draws it again. */
  clear(): void {
    if (this.#enabled) this.#stream.write("\r\u001b[2K");
  }
}

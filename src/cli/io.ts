/** @module Progress output: stderr only (stdout is reserved for results / the --json object). */

/** A progress logger: plain lines when stderr is not a TTY; on a TTY, transient lines overwrite each other and persistent ones stay. */
export interface Progress { (line: string, persistent?: boolean): void; done(): void }

/** Creates a progress logger writing to `stream` (default process.stderr). */
export function progress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = stream.isTTY === true;
  let open = false;
  const log = ((line: string, persistent = false) => {
    if (tty && persistent) {
      stream.write(`\r\x1b[2K${line}\n`);
      open = false;
    } else if (tty) {
      const cols = stream.columns || 100;
      stream.write(`\r\x1b[2K${line.length > cols - 1 ? line.slice(0, cols - 2) + '…' : line}`);
      open = true;
    } else {
      stream.write(line + '\n');
    }
  }) as Progress;
  log.done = () => { if (open) { stream.write('\n'); open = false; } };
  return log;
}

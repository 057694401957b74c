import { CommanderError } from 'commander';
import { buildProgram, oneLine } from './program';

/**
 * The reason to print for anything thrown. Some errors carry no message (Node's AggregateError
 * for a refused connection to every address of a host): their code or first cause stands in.
 */
function reason(error: unknown): string {
  if (!(error instanceof Error)) return oneLine(String(error)) || 'failed';
  const line = oneLine(error.message);
  if (line) return line;
  const code = (error as NodeJS.ErrnoException).code;
  const first = error instanceof AggregateError ? (error.errors as unknown[])[0] : undefined;
  return first !== undefined ? reason(first) : (code ?? error.name);
}

function fail(error: unknown): never {
  process.stderr.write(`costgraph: ${reason(error)}\n`);
  process.exit(1);
}

// A failure outside the command's own promise (a socket error after the answer) still ends in one line.
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

buildProgram().parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // Help and version are not failures; commander already printed its one-line reason otherwise.
    if (error.exitCode === 0) process.exit(0);
    process.exit(error.exitCode || 1);
  }
  fail(error);
});

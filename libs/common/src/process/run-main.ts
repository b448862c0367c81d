import { EnvValidationError } from '../config/load-env';

/**
 * Runs a process entry point. A bad environment prints only the list of bad variables; any other
 * boot failure prints its stack. Either way the process exits 1 so supervisors notice.
 */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const message =
      error instanceof EnvValidationError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`${message}\n`);
    process.exit(1);
  });
}

/**
 * Graceful shutdown: on the first SIGTERM or SIGINT, runs `close` (stop accepting work, finish
 * what is in flight, flush buffers, close connections) and exits 0; a second signal exits at once.
 */
export function closeOnSignals(name: string, close: () => Promise<void>): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) process.exit(130);
    closing = true;
    process.stdout.write(`${name}: ${signal} received, shutting down gracefully\n`);
    close().then(
      () => {
        process.stdout.write(`${name}: stopped\n`);
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`${name}: shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

import type { CliIo } from './command';

/** Exit status of a run stopped by Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_CANCELLED = 130;

const ignore = (): void => undefined;

/**
 * Ctrl-C and SIGTERM while a command runs. The first signal aborts `ac`, and the command stops
 * and removes its temporary files in its own time. A second one (an impatient double Ctrl-C)
 * must not kill the process with those files left behind, as Node's default handler would: it
 * removes them synchronously (`cleanupSync`), says so, and exits at once.
 * Returns the function that uninstalls the handlers.
 */
export function handleInterrupts(ac: AbortController, io: CliIo, cleanupSync: () => void): () => void {
  let count = 0;
  const onSignal = (): void => {
    count++;
    if (count === 1) {
      ac.abort();
      return;
    }
    cleanupSync();
    io.err('\ntensor-kiln: conversion cancelled; the partial output was removed\n');
    process.exit(EXIT_CANCELLED);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // once cancelling, a late second Ctrl-C between here and the exit must not turn a clean
    // "cancelled" (status 130) into a death by signal
    if (count > 0 && !process.listeners('SIGINT').includes(ignore)) {
      process.on('SIGINT', ignore);
      process.on('SIGTERM', ignore);
    }
  };
}

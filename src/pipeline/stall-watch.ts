/**
 * A run that stops moving fails instead of waiting forever. Every wait in a streaming loop goes
 * through `wait`, which names what it waits for; when no wait has completed for `limitMs`, all of
 * them reject with a StallError that says what was outstanding and where the run stood. This is
 * the backstop: the known causes of stalls are fixed where they arise (see BlobSource), but a
 * browser, a driver or a worker can still lose a callback, and then the user gets a clear error
 * and a clean disk instead of a frozen progress bar.
 */
export class StallError extends Error {
  override readonly name = 'StallError';
  constructor(
    readonly seconds: number,
    readonly waitingFor: readonly string[],
    readonly where: string,
  ) {
    const what = waitingFor.length > 0 ? waitingFor.join('; ') : 'nothing (no wait was pending)';
    super(`no progress for ${seconds} s (${where}); still waiting for: ${what}. The run was stopped.`);
  }
}

/** Default: far above the slowest chunk measured (an IQ encoder chunk on a loaded 2-core machine). */
export const DEFAULT_STALL_SECONDS = 180;

export class StallWatch {
  private last = performance.now();
  private readonly pending = new Map<number, string>();
  private nextId = 0;
  private failed: Error | null = null;
  private reject: (e: Error) => void = () => undefined;
  /** Rejects once the run has stalled or was interrupted; every wait races it. */
  private readonly broken: Promise<never>;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly limitMs: number,
    private readonly where: () => string,
  ) {
    this.broken = new Promise<never>((_, reject) => {
      this.reject = reject;
    });
    this.broken.catch(() => undefined);
    this.timer = setInterval(() => this.check(), Math.max(10, Math.min(1000, limitMs / 4)));
    // a CLI process must not stay alive for the watch alone
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Something moved (a read, a conversion or a write completed). */
  progress(): void {
    this.last = performance.now();
  }

  /** Awaits `p`, or rejects with the StallError once the run has stalled (or the interrupting error). */
  async wait<T>(what: string, p: Promise<T>): Promise<T> {
    if (this.failed) throw this.failed;
    const id = this.nextId++;
    this.pending.set(id, what);
    try {
      const value = await Promise.race([p, this.broken]);
      this.progress();
      return value;
    } finally {
      this.pending.delete(id);
    }
  }

  /** Ends every wait now with `e` (a cancel must not wait for a read that will never finish). */
  interrupt(e: Error): void {
    if (this.failed) return;
    this.failed = e;
    this.stop();
    this.reject(e);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    if (this.failed || performance.now() - this.last < this.limitMs) return;
    this.interrupt(new StallError(Math.round(this.limitMs / 100) / 10, [...this.pending.values()], this.where()));
  }
}

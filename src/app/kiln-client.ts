import type { ProgressInfo } from '../pipeline/executor';
import type { SaveTarget } from '../io/handle-sink';
import type { ConvertRequest, Request, Response, ResultOf } from '../pipeline/protocol';

type Kind = keyof ResultOf;
type Payload<K extends Kind> = Omit<Extract<Request, { kind: K }>, 'id' | 'kind'>;

/** A typed error that crossed from the worker, keeping its class name (FormatError, PlanError...). */
export class WorkerError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
    this.name = kind;
  }
}

/**
 * The page's handle on the pipeline worker: one promise per request, progress callbacks for
 * conversions, cancel by request id.
 */
export class KilnClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; progress?: (p: ProgressInfo) => void }>();

  constructor(worker?: Worker) {
    this.worker = worker ?? new Worker(new URL('../pipeline/worker.ts', import.meta.url), { type: 'module', name: 'kiln-pipeline' });
    this.worker.onmessage = (ev: MessageEvent<Response>) => this.receive(ev.data);
    this.worker.onerror = (ev) => {
      const err = new WorkerError('WorkerError', `the pipeline worker failed: ${ev.message || 'unknown error'}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  private receive(msg: Response): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.kind === 'progress') {
      p.progress?.(msg.progress);
      return;
    }
    this.pending.delete(msg.id);
    if (msg.kind === 'result') p.resolve(msg.value);
    else p.reject(new WorkerError(msg.error.name, msg.error.message));
  }

  private call<K extends Kind>(kind: K, payload: Payload<K>, progress?: (p: ProgressInfo) => void): { id: number; done: Promise<ResultOf[K]> } {
    const id = this.nextId++;
    const done = new Promise<ResultOf[K]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, progress });
    });
    this.worker.postMessage({ kind, id, ...payload } as Request);
    return { id, done };
  }

  open(files: readonly File[]): Promise<ResultOf['open']> {
    return this.call('open', { files }).done;
  }

  openRemote(source: string, token?: string): Promise<ResultOf['openRemote']> {
    return this.call('openRemote', token ? { source, token } : { source }).done;
  }

  engine(): Promise<ResultOf['engine']> {
    return this.call('engine', {}).done;
  }

  stats(tensor: number): Promise<ResultOf['stats']> {
    return this.call('stats', { tensor }).done;
  }

  plan(request: ConvertRequest): Promise<ResultOf['plan']> {
    return this.call('plan', { request }).done;
  }

  /** Output sizes for several targets at once (the type picker's numbers). */
  planAll(request: ConvertRequest, targets: readonly string[]): Promise<ResultOf['planAll']> {
    return this.call('planAll', { request, targets }).done;
  }

  /** A 2-D tensor's downsampled magnitude heat-map (on the GPU when there is one). */
  heatmap(tensor: number): Promise<ResultOf['heatmap']> {
    return this.call('heatmap', { tensor }).done;
  }

  /** The first values of a tensor's first rows, decoded with the CPU codecs. */
  values(tensor: number): Promise<ResultOf['values']> {
    return this.call('values', { tensor }).done;
  }

  /** A converted tensor's values before and after, binned alike (the last run's output in OPFS). */
  compare(tensor: string, bins: number): Promise<ResultOf['compare']> {
    return this.call('compare', { tensor, bins }).done;
  }

  /** Starts a conversion; `cancel()` stops it and removes its partial output. */
  convert(request: ConvertRequest, progress: (p: ProgressInfo) => void, save?: SaveTarget): { done: Promise<ResultOf['convert']>; cancel: () => void } {
    const { id, done } = this.call('convert', save ? { request, save } : { request }, progress);
    return { done, cancel: () => void this.call('cancel', { target: id }).done.catch(() => undefined) };
  }
}

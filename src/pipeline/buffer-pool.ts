/**
 * Recycled byte buffers for streaming loops. Allocating a fresh 16 MB ArrayBuffer per chunk makes
 * the garbage collector the memory ceiling (measured: a copy through the page grew the renderer to
 * 640 MB before a collection); reusing a handful keeps memory flat whatever the model's size.
 */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  constructor(private readonly keep = 8) {}

  /** A buffer of at least `size` bytes (its contents are stale). */
  acquire(size: number): Uint8Array {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i]!;
      if (b.byteLength >= size && (best < 0 || b.byteLength < this.free[best]!.byteLength)) best = i;
    }
    if (best >= 0) return new Uint8Array(this.free.splice(best, 1)[0]!, 0, size);
    return new Uint8Array(Math.max(size, 1));
  }

  /** Gives a buffer back; `view` may be any view of it (a transferred or detached one is dropped). */
  release(view: Uint8Array): void {
    const b = view.buffer;
    if (!(b instanceof ArrayBuffer) || b.byteLength === 0 || this.free.includes(b)) return;
    if (this.free.length >= this.keep) this.free.shift();
    this.free.push(b);
  }
}

/**
 * Unpickling a pickle that sits somewhere inside a file whose length we do not know in advance
 * (the legacy formats write pickles back to back, then raw storages). Reads a window, and when the
 * pickle runs past it, reads a larger one and starts over: pickles here are small, so the
 * repeated work is a few milliseconds, and the window never exceeds MAX_PICKLE_BYTES.
 */
import type { ByteSource } from '../../io/byte-source';
import { FormatError } from '../errors';
import { PickleTruncatedError, unpickle, type PicklePolicy, type UnpickleResult } from '../pickle/unpickler';

/** No checkpoint's object pickle comes near this; the data itself lives outside the pickle. */
export const MAX_PICKLE_BYTES = 256 * 1024 * 1024;
/** Object pickles start with a window this large; the small record pickles of the old formats with 4 KiB. */
export const OBJECT_WINDOW = 64 * 1024;
export const RECORD_WINDOW = 4 * 1024;

/** `end` is absolute in `src`. `makePolicy` is called afresh for every attempt. */
export async function unpickleAt(src: ByteSource, start: number, makePolicy: () => PicklePolicy, what: string, firstWindow = OBJECT_WINDOW): Promise<UnpickleResult> {
  const room = src.size - start;
  if (room <= 0) throw new FormatError({ format: 'pickle', file: src.name, offset: start }, `${what}: file ends before it starts`);
  let window = Math.min(firstWindow, room, MAX_PICKLE_BYTES);
  for (;;) {
    const bytes = await src.read(start, window);
    try {
      const r = unpickle(bytes, 0, makePolicy(), { file: src.name, base: start });
      return { value: r.value, end: start + r.end, protocol: r.protocol };
    } catch (e) {
      if (!(e instanceof PickleTruncatedError) || window === room) throw e;
      if (window === MAX_PICKLE_BYTES) {
        throw new FormatError({ format: 'pickle', file: src.name, offset: start }, `${what} is larger than ${MAX_PICKLE_BYTES} bytes`);
      }
      window = Math.min(window * 4, room, MAX_PICKLE_BYTES);
    }
  }
}

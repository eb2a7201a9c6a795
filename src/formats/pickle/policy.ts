/**
 * What the pickle VM asks of its caller: a policy for the opcodes that would reach into Python,
 * the bounds it runs under, and the plain-data policy that allows nothing.
 */
import { FormatError } from '../errors';
import { pyTypeName, type PyTuple, type PyValue } from './values';

export interface PicklePolicy {
  /** GLOBAL, STACK_GLOBAL, INST: return an inert stand-in for an allowed name, or throw. */
  global(module: string, name: string, at: number): PyValue;
  /** REDUCE: `callable(*args)` where `callable` is a value `global` returned. */
  reduce(callable: PyValue, args: PyTuple, at: number): PyValue;
  /** BUILD: applies `state` to `inst`; returns what replaces `inst` on the stack. */
  build(inst: PyValue, state: PyValue, at: number): PyValue;
  /** BINPERSID / PERSID. */
  persistentLoad(pid: PyValue, at: number): PyValue;
}

export interface PickleLimits {
  /** Values pushed in total (each opcode pushes at most one): bounds memory at ~100 bytes each. */
  readonly maxValues: number;
  readonly maxStack: number;
  readonly maxMarkDepth: number;
  readonly maxMemo: number;
  /** Bytes of one LONG1 / LONG4 / text INT (a Python int of 8192 bits is already absurd here). */
  readonly maxLongBytes: number;
}

/**
 * A state_dict entry costs ~20 values in protocol 2, so 2M values is ~100k tensors in one pickle;
 * real pickles batch APPENDS/SETITEMS by 1000, so the stack stays far below its bound.
 */
export const DEFAULT_PICKLE_LIMITS: PickleLimits = {
  maxValues: 2_000_000,
  maxStack: 200_000,
  maxMarkDepth: 4096,
  maxMemo: 1_000_000,
  maxLongBytes: 1024,
};

export interface PickleWhere {
  readonly file: string;
  /** Added to pickle offsets in errors, so they point into the file when the pickle is a part of it. */
  readonly base?: number;
}

export interface UnpickleResult {
  readonly value: PyValue;
  /** Offset just past the STOP opcode. */
  readonly end: number;
  /** The PROTO opcode's number, or 0 or 1 when there was none. */
  readonly protocol: number;
}

/** Refuses every global and persistent id: plain data only. */
export function dataOnlyPolicy(file: string): PicklePolicy {
  const refuse = (what: string, at: number): never => {
    throw new FormatError({ format: 'pickle', file, offset: at }, `${what} is not allowed in plain data`);
  };
  return {
    global: (module, name, at) => refuse(`global ${module}.${name}`, at),
    reduce: (fn, _args, at) => refuse(`calling ${pyTypeName(fn)}`, at),
    build: (inst, _state, at) => refuse(`BUILD on ${pyTypeName(inst)}`, at),
    persistentLoad: (_pid, at) => refuse('a persistent id', at),
  };
}

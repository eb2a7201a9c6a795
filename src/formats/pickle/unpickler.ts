/**
 * A pickle virtual machine for protocols 0 to 5 that never runs code.
 *
 * Data opcodes (ints, floats, strings, bytes, containers, memo) are executed here. Everything that
 * would reach into Python (GLOBAL, STACK_GLOBAL, INST, REDUCE, BUILD, persistent ids) goes through
 * a PicklePolicy, which hands out inert values for the names it allows and throws a FormatError
 * naming anything else. OBJ, NEWOBJ, NEWOBJ_EX, EXT1/2/4 and out-of-band buffers are refused
 * outright. With the default policy every global is refused.
 *
 * Every size is checked against the bytes left before it is used, and the stack, the memo, the MARK
 * depth and the number of values made are bounded, so a hostile pickle fails fast and small.
 */
import { PickleCursor, PickleTruncatedError } from './cursor';
import { HIGHEST_PROTOCOL, OP as OP_EXPORT, opName } from './opcodes';
import { decodeRawUnicodeEscape, decodeStringLiteral, parseFloatLiteral, parseIntLiteral } from './text';
import { DEFAULT_PICKLE_LIMITS, type PickleLimits, type PicklePolicy, type PickleWhere, type UnpickleResult } from './policy';
import { PyBytes, PyDict, PyList, PySet, PyTuple, pyTypeName, type PyValue } from './values';

export { DEFAULT_PICKLE_LIMITS, dataOnlyPolicy, type PickleLimits, type PicklePolicy, type PickleWhere, type UnpickleResult } from './policy';

/** Unpickles one pickle starting at `start`; see the file comment for what it accepts. */
export function unpickle(bytes: Uint8Array, start: number, policy: PicklePolicy, where: PickleWhere, limits: PickleLimits = DEFAULT_PICKLE_LIMITS): UnpickleResult {
  return new Machine(bytes, start, policy, where, limits).run();
}

// A module-local copy: under vitest's module runner an imported binding is a getter, and the
// opcode switch reads it up to 70 times per opcode.
const OP = { ...OP_EXPORT };

class Machine extends PickleCursor {
  private stack: PyValue[] = [];
  private readonly marks: PyValue[][] = [];
  /** Pickler memo indices count up from 0, so an array serves; indices are bounded by maxMemo. */
  private readonly memo: PyValue[] = [];
  private memoCount = 0;
  private pushed = 0;
  private stackTotal = 0;
  private protocol = 0;

  constructor(
    b: Uint8Array,
    start: number,
    private readonly policy: PicklePolicy,
    where: PickleWhere,
    private readonly limits: PickleLimits,
  ) {
    super(b, start, where.file, where.base ?? 0, limits.maxLongBytes);
  }

  private push(v: PyValue): void {
    if (++this.pushed > this.limits.maxValues) throw this.error(`more than ${this.limits.maxValues} values`);
    if (++this.stackTotal > this.limits.maxStack) throw this.error(`stack deeper than ${this.limits.maxStack}`);
    this.stack.push(v);
  }

  private pop(what: string): PyValue {
    if (this.stack.length === 0) throw this.error(`${what} on an empty stack${this.marks.length ? ' (after MARK)' : ''}`);
    this.stackTotal--;
    return this.stack.pop()!;
  }

  private top(what: string): PyValue {
    if (this.stack.length === 0) throw this.error(`${what} on an empty stack`);
    return this.stack[this.stack.length - 1]!;
  }

  private popMark(what: string): PyValue[] {
    if (this.marks.length === 0) throw this.error(`${what} without a MARK`);
    const items = this.stack;
    this.stack = this.marks.pop()!;
    this.stackTotal -= items.length;
    return items;
  }

  private memoPut(i: number, v: PyValue): void {
    if (i >= this.limits.maxMemo) throw this.error(`memo index ${i} beyond the ${this.limits.maxMemo} allowed (memo larger than ${this.limits.maxMemo} entries)`);
    if (this.memo[i] === undefined) this.memoCount++;
    this.memo[i] = v;
  }

  private memoGet(i: number): PyValue {
    const v = i < this.memo.length ? this.memo[i] : undefined;
    if (v === undefined) throw this.error(`memo key ${i} was never stored`);
    return v;
  }

  private globalName(module: string, name: string): PyValue {
    return this.policy.global(module, name, this.base + this.opAt);
  }

  run(): UnpickleResult {
    for (;;) {
      this.opAt = this.pos;
      const op = this.u8('an opcode');
      switch (op) {
        case OP.PROTO: {
          const p = this.u8('PROTO');
          if (p > HIGHEST_PROTOCOL) throw this.error(`pickle protocol ${p} is newer than ${HIGHEST_PROTOCOL}`);
          this.protocol = p;
          break;
        }
        case OP.FRAME:
          this.len64('FRAME length');
          break;
        case OP.STOP: {
          if (this.marks.length) throw this.error('STOP inside an unclosed MARK');
          const value = this.pop('STOP');
          return { value, end: this.pos, protocol: this.protocol };
        }
        case OP.MARK:
          if (this.marks.length >= this.limits.maxMarkDepth) throw this.error(`MARK nesting deeper than ${this.limits.maxMarkDepth}`);
          this.marks.push(this.stack);
          this.stack = [];
          break;
        case OP.POP:
          if (this.stack.length === 0 && this.marks.length) this.popMark('POP');
          else this.pop('POP');
          break;
        case OP.POP_MARK:
          this.popMark('POP_MARK');
          break;
        case OP.DUP:
          this.push(this.top('DUP'));
          break;
        // scalars
        case OP.NONE:
          this.push(null);
          break;
        case OP.NEWTRUE:
          this.push(true);
          break;
        case OP.NEWFALSE:
          this.push(false);
          break;
        case OP.BININT:
          this.push(BigInt(this.i32('BININT')));
          break;
        case OP.BININT1:
          this.push(BigInt(this.u8('BININT1')));
          break;
        case OP.BININT2:
          this.push(BigInt(this.u16('BININT2')));
          break;
        case OP.LONG1:
          this.push(this.long(this.u8('LONG1')));
          break;
        case OP.LONG4:
          this.push(this.long(this.u32('LONG4')));
          break;
        case OP.INT: {
          const t = this.asciiLine('INT', this.limits.maxLongBytes * 3);
          if (t === '00' || t === '01') this.push(t === '01');
          else this.push(this.intLiteral(t, 'INT'));
          break;
        }
        case OP.LONG:
          this.push(this.intLiteral(this.asciiLine('LONG', this.limits.maxLongBytes * 3), 'LONG'));
          break;
        case OP.BINFLOAT:
          this.push(this.f64be('BINFLOAT'));
          break;
        case OP.FLOAT: {
          const t = this.asciiLine('FLOAT', 256);
          const v = parseFloatLiteral(t);
          if (v === null) throw this.error(`FLOAT argument "${t}" is not a float`);
          this.push(v);
          break;
        }
        // strings and bytes
        case OP.BINUNICODE:
          this.push(this.str(this.take(this.u32('BINUNICODE'), 'BINUNICODE'), 'BINUNICODE'));
          break;
        case OP.SHORT_BINUNICODE:
          this.push(this.str(this.take(this.u8('SHORT_BINUNICODE'), 'SHORT_BINUNICODE'), 'SHORT_BINUNICODE'));
          break;
        case OP.BINUNICODE8:
          this.push(this.str(this.take(this.len64('BINUNICODE8 length'), 'BINUNICODE8'), 'BINUNICODE8'));
          break;
        case OP.UNICODE: {
          const s = decodeRawUnicodeEscape(this.line('UNICODE'));
          if (s === null) throw this.error('UNICODE argument has a malformed \\u escape');
          this.push(s);
          break;
        }
        // Python 2 str: torch.load decodes these as UTF-8.
        case OP.BINSTRING: {
          const n = this.i32('BINSTRING');
          if (n < 0) throw this.error(`BINSTRING length ${n} is negative`);
          this.push(this.str(this.take(n, 'BINSTRING'), 'BINSTRING'));
          break;
        }
        case OP.SHORT_BINSTRING:
          this.push(this.str(this.take(this.u8('SHORT_BINSTRING'), 'SHORT_BINSTRING'), 'SHORT_BINSTRING'));
          break;
        case OP.STRING: {
          const raw = decodeStringLiteral(this.line('STRING'));
          if (raw === null) throw this.error('STRING argument is not a quoted string literal');
          this.push(this.str(raw, 'STRING'));
          break;
        }
        case OP.BINBYTES:
          this.push(new PyBytes(this.take(this.u32('BINBYTES'), 'BINBYTES')));
          break;
        case OP.SHORT_BINBYTES:
          this.push(new PyBytes(this.take(this.u8('SHORT_BINBYTES'), 'SHORT_BINBYTES')));
          break;
        case OP.BINBYTES8:
          this.push(new PyBytes(this.take(this.len64('BINBYTES8 length'), 'BINBYTES8')));
          break;
        case OP.BYTEARRAY8:
          this.push(new PyBytes(this.take(this.len64('BYTEARRAY8 length'), 'BYTEARRAY8'), true));
          break;
        // containers
        case OP.EMPTY_TUPLE:
          this.push(new PyTuple([]));
          break;
        case OP.TUPLE1:
          this.push(new PyTuple([this.pop('TUPLE1')]));
          break;
        case OP.TUPLE2: {
          const y = this.pop('TUPLE2');
          const x = this.pop('TUPLE2');
          this.push(new PyTuple([x, y]));
          break;
        }
        case OP.TUPLE3: {
          const z = this.pop('TUPLE3');
          const y = this.pop('TUPLE3');
          const x = this.pop('TUPLE3');
          this.push(new PyTuple([x, y, z]));
          break;
        }
        case OP.TUPLE:
          this.push(new PyTuple(this.popMark('TUPLE')));
          break;
        case OP.EMPTY_LIST:
          this.push(new PyList());
          break;
        case OP.LIST:
          this.push(new PyList(this.popMark('LIST')));
          break;
        case OP.EMPTY_DICT:
          this.push(new PyDict());
          break;
        case OP.DICT: {
          const items = this.popMark('DICT');
          if (items.length % 2) throw this.error(`DICT with an odd number (${items.length}) of keys and values`);
          const d = new PyDict();
          for (let i = 0; i < items.length; i += 2) d.set(items[i]!, items[i + 1]!);
          this.push(d);
          break;
        }
        case OP.EMPTY_SET:
          this.push(new PySet());
          break;
        case OP.FROZENSET: {
          const s = new PySet(true);
          for (const v of this.popMark('FROZENSET')) s.add(v);
          this.push(s);
          break;
        }
        case OP.APPEND: {
          const v = this.pop('APPEND');
          this.listTarget('APPEND').items.push(v);
          break;
        }
        case OP.APPENDS: {
          const items = this.popMark('APPENDS');
          const l = this.listTarget('APPENDS');
          for (const v of items) l.items.push(v);
          break;
        }
        case OP.SETITEM: {
          const v = this.pop('SETITEM');
          const k = this.pop('SETITEM');
          this.dictTarget('SETITEM').set(k, v);
          break;
        }
        case OP.SETITEMS: {
          const items = this.popMark('SETITEMS');
          if (items.length % 2) throw this.error(`SETITEMS with an odd number (${items.length}) of keys and values`);
          const d = this.dictTarget('SETITEMS');
          for (let i = 0; i < items.length; i += 2) d.set(items[i]!, items[i + 1]!);
          break;
        }
        case OP.ADDITEMS: {
          const items = this.popMark('ADDITEMS');
          const s = this.top('ADDITEMS');
          if (!(s instanceof PySet) || s.frozen) throw this.error(`ADDITEMS on a ${pyTypeName(s)}, not a set`);
          for (const v of items) s.add(v);
          break;
        }
        // memo
        case OP.BINPUT:
          this.memoPut(this.u8('BINPUT'), this.top('BINPUT'));
          break;
        case OP.LONG_BINPUT:
          this.memoPut(this.u32('LONG_BINPUT'), this.top('LONG_BINPUT'));
          break;
        case OP.PUT:
          this.memoPut(this.memoIndex(this.asciiLine('PUT', 16), 'PUT'), this.top('PUT'));
          break;
        case OP.MEMOIZE:
          this.memoPut(this.memoCount, this.top('MEMOIZE'));
          break;
        case OP.BINGET:
          this.push(this.memoGet(this.u8('BINGET')));
          break;
        case OP.LONG_BINGET:
          this.push(this.memoGet(this.u32('LONG_BINGET')));
          break;
        case OP.GET:
          this.push(this.memoGet(this.memoIndex(this.asciiLine('GET', 16), 'GET')));
          break;
        // the doors into Python: all through the policy
        case OP.GLOBAL: {
          const module = this.str(this.line('GLOBAL module', 1024), 'GLOBAL module');
          const name = this.str(this.line('GLOBAL name', 1024), 'GLOBAL name');
          this.push(this.globalName(module, name));
          break;
        }
        case OP.STACK_GLOBAL: {
          const name = this.pop('STACK_GLOBAL');
          const module = this.pop('STACK_GLOBAL');
          if (typeof module !== 'string' || typeof name !== 'string') {
            throw this.error(`STACK_GLOBAL needs two str, got ${pyTypeName(module)} and ${pyTypeName(name)}`);
          }
          this.push(this.globalName(module, name));
          break;
        }
        case OP.INST: {
          const module = this.str(this.line('INST module', 1024), 'INST module');
          const name = this.str(this.line('INST name', 1024), 'INST name');
          // The policy names (and refuses) a disallowed global first; an allowed one may not be INST-ed.
          this.globalName(module, name);
          throw this.error(`INST ${module}.${name}: creating instances with INST is not allowed`);
        }
        case OP.OBJ: {
          const args = this.popMark('OBJ');
          const cls = args[0];
          throw this.error(`OBJ on ${cls === undefined ? 'nothing' : describe(cls)}: creating instances with OBJ is not allowed`);
        }
        case OP.NEWOBJ:
        case OP.NEWOBJ_EX: {
          if (op === OP.NEWOBJ_EX) this.pop(opName(op));
          this.pop(opName(op));
          const cls = this.pop(opName(op));
          throw this.error(`${opName(op)} on ${describe(cls)}: creating instances with ${opName(op)} is not allowed`);
        }
        case OP.EXT1:
        case OP.EXT2:
        case OP.EXT4: {
          const n = op === OP.EXT1 ? 1 : op === OP.EXT2 ? 2 : 4;
          const d = this.take(n, opName(op));
          let code = 0;
          for (let i = n - 1; i >= 0; i--) code = code * 256 + d[i]!;
          throw this.error(`${opName(op)} ${code}: globals from the copyreg extension registry are not allowed`);
        }
        case OP.REDUCE: {
          const args = this.pop('REDUCE');
          const fn = this.pop('REDUCE');
          if (!(args instanceof PyTuple)) throw this.error(`REDUCE arguments are a ${pyTypeName(args)}, not a tuple`);
          this.push(this.policy.reduce(fn, args, this.base + this.opAt));
          break;
        }
        case OP.BUILD: {
          const state = this.pop('BUILD');
          const inst = this.pop('BUILD');
          this.push(this.policy.build(inst, state, this.base + this.opAt));
          break;
        }
        case OP.BINPERSID: {
          const pid = this.pop('BINPERSID');
          this.push(this.policy.persistentLoad(pid, this.base + this.opAt));
          break;
        }
        case OP.PERSID: {
          const pid = this.str(this.line('PERSID', 1024), 'PERSID');
          this.push(this.policy.persistentLoad(pid, this.base + this.opAt));
          break;
        }
        case OP.NEXT_BUFFER:
        case OP.READONLY_BUFFER:
          throw this.error(`${opName(op)}: out-of-band buffers are not supported`);
        default:
          throw this.error(`unknown opcode ${opName(op)}`);
      }
    }
  }

  private intLiteral(t: string, what: string): bigint {
    const v = parseIntLiteral(t);
    if (v === null) throw this.error(`${what} argument "${t.slice(0, 40)}" is not an integer`);
    return v;
  }

  private memoIndex(t: string, what: string): number {
    if (!/^\d{1,10}$/.test(t)) throw this.error(`${what} argument "${t}" is not a memo index`);
    return Number(t);
  }

  private listTarget(what: string): PyList {
    const l = this.top(what);
    if (!(l instanceof PyList)) throw this.error(`${what} to a ${pyTypeName(l)}, not a list`);
    return l;
  }

  private dictTarget(what: string): PyDict {
    const d = this.top(what);
    if (!(d instanceof PyDict)) throw this.error(`${what} on a ${pyTypeName(d)}, not a dict`);
    return d;
  }
}

function describe(v: PyValue): string {
  return pyTypeName(v);
}

export { PickleTruncatedError };

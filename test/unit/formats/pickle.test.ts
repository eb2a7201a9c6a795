import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/formats/errors';
import { dataOnlyPolicy, PickleTruncatedError, unpickle, type PicklePolicy } from '../../../src/formats/pickle/unpickler';
import { PyBytes, PyDict, PyList, PySet, PyTuple, type PyValue } from '../../../src/formats/pickle/values';
import { torchPolicy } from '../../../src/formats/pytorch/torch-policy';
import { expected, pk, ptBytes, str, u32le, u64le } from './pytorch-builders';

const refusePid = (): PicklePolicy =>
  torchPolicy('test.pkl', (_pid, _at, err) => {
    throw err('no persistent ids here');
  });

function load(bytes: Uint8Array, policy: PicklePolicy = refusePid()): PyValue {
  return unpickle(bytes, 0, policy, { file: 'test.pkl' }).value;
}

/** The typed JSON make_fixtures.py writes for Python values. */
function typed(v: PyValue): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return { int: v.toString() };
  if (typeof v === 'number') {
    const b = new DataView(new ArrayBuffer(8));
    b.setFloat64(0, v, false);
    return { float: [...new Uint8Array(b.buffer)].map((x) => x.toString(16).padStart(2, '0')).join('') };
  }
  if (v instanceof PyBytes) return { bytes: Buffer.from(v.bytes).toString('hex') };
  if (v instanceof PyList) return v.items.map(typed);
  if (v instanceof PyTuple) return { tuple: v.items.map(typed) };
  if (v instanceof PySet) return { set: v.items.map(typed) };
  if (v instanceof PyDict) return { dict: v.keys.map((k, i) => [typed(k), typed(v.values[i]!)]) };
  throw new Error(`unexpected ${String(v)}`);
}

/** Runs `f`, expects a FormatError whose message contains every one of `parts`, within `ms`. */
function rejects(f: () => unknown, parts: string[], ms = 2000): FormatError {
  const t0 = performance.now();
  let caught: unknown = null;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  const took = performance.now() - t0;
  expect(caught, 'should throw').toBeInstanceOf(FormatError);
  for (const p of parts) expect((caught as Error).message).toContain(p);
  expect(took).toBeLessThan(ms);
  return caught as FormatError;
}

describe('pickle VM: plain data in every protocol (expected values from CPython)', () => {
  for (const proto of [0, 1, 2, 3, 4, 5]) {
    it(`protocol ${proto}`, () => {
      const name = `plain_proto${proto}.pkl`;
      const v = load(ptBytes(name));
      expect(typed(v)).toEqual(expected.plain[name]);
      // ('shared': (l, l)) is one list object twice: the memo must hand back the same object.
      const shared = (v as PyDict).get('shared') as PyTuple;
      expect(shared.items[0]).toBe(shared.items[1]);
    });
  }

  it('reports the protocol and where the pickle ends', () => {
    const b = pk(ptBytes('plain_proto2.pkl'), 'trailing');
    const r = unpickle(b, 0, refusePid(), { file: 'x' });
    expect(r.protocol).toBe(2);
    expect(r.end).toBe(b.length - 'trailing'.length);
  });

  it('decodes protocol-0 text literals the way CPython does', () => {
    expect(load(pk("S'a\\x41\\n\\'q\\101'\n."))).toBe("aA\n'qA");
    expect(load(pk('V\\u2603x\\U0001f600\n.'))).toBe('\u2603x\u{1f600}');
    expect(load(pk('I01\n.'))).toBe(true);
    expect(load(pk('I-42\n.'))).toBe(-42n);
    expect(load(pk('L123456789012345678901234567890L\n.'))).toBe(123456789012345678901234567890n);
    expect(load(pk('Finf\n.'))).toBe(Infinity);
    expect(load(pk('F-2.5e-3\n.'))).toBe(-2.5e-3);
  });

  it('the data-only policy refuses every global', () => {
    rejects(() => load(pk('ccollections\nOrderedDict\n)R.'), dataOnlyPolicy('x')), ['collections.OrderedDict']);
  });
});

describe('pickle VM: hostile pickles made by CPython are refused, naming the global', () => {
  const cases: Array<[string, string[]]> = [
    ['os_system.pkl', ['"posix.system"']],
    ['os_system_proto4.pkl', ['"posix.system"']], // STACK_GLOBAL
    ['builtins_eval.pkl', ['builtins.eval']],
    ['subprocess_popen.pkl', ['commands.Popen', 'subprocess.Popen']],
    ['getattr_chain.pkl', ['builtins.getattr']],
    ['exec_in_dict.pkl', ['builtins.exec']],
  ];
  for (const [file, parts] of cases) {
    it(file, () => {
      const e = rejects(() => load(ptBytes(file)), parts);
      expect(e.format).toBe('pickle');
      expect(e.offset).toBeGreaterThan(0);
    });
  }
});

describe('pickle VM: hostile opcode sequences', () => {
  it('GLOBAL os.system + REDUCE', () => rejects(() => load(pk(0x80, 2, 'cos\nsystem\n', str('id'), 0x85, 'R.')), ['"os.system"']));
  it('STACK_GLOBAL builtins.eval', () => rejects(() => load(pk(0x80, 4, str('builtins'), str('eval'), 0x93, str('1'), 0x85, 'R.')), ['"builtins.eval"']));
  it('INST of a forbidden class', () => rejects(() => load(pk('(S\'id\'\nios\nsystem\n.')), ['"os.system"']));
  it('INST of an allowed class is still refused', () => rejects(() => load(pk('(icollections\nOrderedDict\n.')), ['INST collections.OrderedDict', 'not allowed']));
  it('OBJ on an allowed class', () => rejects(() => load(pk(0x80, 2, '(ccollections\nOrderedDict\no.')), ['OBJ on collections.OrderedDict']));
  it('NEWOBJ on torch.Tensor', () => rejects(() => load(pk(0x80, 2, 'ctorch\nTensor\n)', 0x81, '.')), ['NEWOBJ on torch.Tensor']));
  it('NEWOBJ_EX', () => rejects(() => load(pk(0x80, 4, 'ctorch\nTensor\n)}', 0x92, '.')), ['NEWOBJ_EX on torch.Tensor']));
  it('getattr chain through a dotted STACK_GLOBAL name', () => rejects(() => load(pk(0x80, 4, str('collections'), str('OrderedDict.fromkeys'), 0x93, '.')), ['"collections.OrderedDict.fromkeys"']));
  it('dotted name that would resolve to an allowed function', () => rejects(() => load(pk(0x80, 4, str('torch'), str('_utils._rebuild_tensor_v2'), 0x93, '.')), ['"torch._utils._rebuild_tensor_v2"']));
  it('builtins.getattr on an allowed object', () =>
    rejects(() => load(pk(0x80, 2, 'cbuiltins\ngetattr\nccollections\nOrderedDict\n', str('__init__'), 0x86, 'R.')), ['"builtins.getattr"']));
  it('EXT1 / EXT2 / EXT4 (copyreg registry)', () => {
    rejects(() => load(pk(0x80, 2, 0x82, 7, '.')), ['EXT1 7']);
    rejects(() => load(pk(0x80, 2, 0x83, 1, 2, '.')), ['EXT2 513']);
    rejects(() => load(pk(0x80, 2, 0x84, 1, 0, 0, 0, '.')), ['EXT4 1']);
  });
  it('REDUCE on something that is not an allowed function', () => {
    rejects(() => load(pk(0x80, 2, str('os.system'), ')R.')), ['REDUCE on a str']);
    rejects(() => load(pk(0x80, 2, 'ctorch\nfloat32\n)R.')), ['torch.float32', 'not callable']);
    rejects(() => load(pk(0x80, 2, 'ctorch._utils\n_rebuild_tensor_v2\n', str('x'), 0x85, 'R.')), ['_rebuild_tensor_v2', 'arguments']);
  });
  it('__reduce__ returning a non-tuple argument list', () => rejects(() => load(pk(0x80, 2, 'ccollections\nOrderedDict\n]R.')), ['REDUCE arguments are a list']));
  it('BUILD: only inert attributes on an OrderedDict, nothing on other objects', () => {
    const od = load(pk(0x80, 2, 'ccollections\nOrderedDict\n)R}', str('__setstate__'), 'ccollections\nCounter\n)R', 's', 'b.'));
    expect(od).toBeInstanceOf(PyDict);
    expect((od as PyDict).size).toBe(0);
    rejects(() => load(pk(0x80, 2, '}}b.')), ['BUILD on a dict']);
    rejects(() => load(pk(0x80, 2, 'ctorch\ndevice\n', str('cpu'), 0x85, 'R}b.')), ['BUILD on a torch.device']);
    rejects(() => load(pk(0x80, 2, 'ctorch\nfloat32\n}b.')), ['BUILD on a torch.float32']);
  });
  it('persistent ids other than storages', () => {
    rejects(() => load(pk(0x80, 2, str('x'), 'Q.')), ['no persistent ids']);
    rejects(() => load(pk('Pfoo\n.')), ['no persistent ids']);
  });
  it('out-of-band buffers', () => rejects(() => load(pk(0x80, 5, 0x97, '.')), ['NEXT_BUFFER']));
});

describe('pickle VM: resource bounds fail fast with a typed error', () => {
  it('a huge BINBYTES length', () => {
    const e = rejects(() => load(pk(0x80, 3, 'B', u32le(0xfffffff0), 'abc')), ['BINBYTES needs 4294967280 bytes']);
    expect(e).toBeInstanceOf(PickleTruncatedError);
  });
  it('a huge BINBYTES8 / BINUNICODE8 / BYTEARRAY8 length', () => {
    rejects(() => load(pk(0x80, 4, 0x8e, u64le(2n ** 60n), 'abc')), ['larger than the whole pickle']);
    rejects(() => load(pk(0x80, 4, 0x8d, u64le(2n ** 40n), 'abc')), ['larger than the whole pickle']);
    rejects(() => load(pk(0x80, 5, 0x96, u64le(2n ** 62n))), ['larger than the whole pickle']);
  });
  it('a huge LONG4', () => rejects(() => load(pk(0x80, 2, 0x8b, u32le(1 << 30))), ['integer of 1073741824 bytes']));
  it('deep MARK nesting', () => rejects(() => load(pk(0x80, 2, '('.repeat(100_000), '.')), ['MARK nesting deeper than 4096']));
  it('deep list nesting on the stack', () => rejects(() => load(pk(0x80, 2, ']'.repeat(1_200_000), '.')), ['stack deeper than 200000']));
  it('memo blowup', () => {
    const n = 1_100_000;
    const b = new Uint8Array(3 + 5 * n + 1);
    b.set([0x80, 2, 0x4e]);
    for (let i = 0; i < n; i++) b.set([0x72, i & 0xff, (i >>> 8) & 0xff, (i >>> 16) & 0xff, 0], 3 + 5 * i);
    b[b.length - 1] = 0x2e;
    rejects(() => load(b), ['memo larger than 1000000']);
    rejects(() => load(pk(0x80, 2, 0x4e, 0x72, u32le(0xfffffff0), '.')), ['memo index 4294967280']);
  });
  it('too many values', () => {
    // DUP/POP pairs keep the stack small but every DUP makes a value.
    const n = 2_100_000;
    const b = new Uint8Array(3 + 2 * n + 1);
    b.set([0x80, 2, 0x4e]);
    for (let i = 0; i < n; i++) b.set([0x32, 0x30], 3 + 2 * i);
    b[b.length - 1] = 0x2e;
    rejects(() => load(b), ['more than 2000000 values']);
  });
  it('many small objects stay bounded', () => {
    // ] then (] a)* : one list per two bytes, all kept alive by the outer list.
    const n = 2_100_000;
    const b = new Uint8Array(3 + 2 * n + 1);
    b.set([0x80, 2, 0x5d]);
    for (let i = 0; i < n; i++) b.set([0x5d, 0x61], 3 + 2 * i);
    b[b.length - 1] = 0x2e;
    rejects(() => load(b), ['more than 2000000 values'], 5000);
  });
  it('truncation anywhere is a typed error', () => {
    const full = ptBytes('plain_proto2.pkl');
    for (let n = 0; n < full.length; n++) {
      expect(() => load(full.subarray(0, n))).toThrow(FormatError);
    }
  });
  it('unknown opcodes and a too-new protocol', () => {
    rejects(() => load(pk(0x80, 2, 0xff)), ['unknown opcode 0xff']);
    rejects(() => load(pk(0x80, 6, '.')), ['protocol 6']);
  });
});

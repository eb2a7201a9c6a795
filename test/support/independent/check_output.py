#!/usr/bin/env python3
"""Checks a converted file against its F32 safetensors input with plain Python: its own GGUF v3
and safetensors parsers, Python's float16 packing (struct 'e', round to nearest even) and a
bit-level round-to-nearest-even for bfloat16. Nothing of Kiln is used.

usage: check_output.py INPUT.safetensors OUTPUT (gguf|safetensors) (F16|BF16|F32)
prints one JSON object: {"ok": bool, "tensors": n, "types": {name: type}, "problems": [...]}
"""
import json
import struct
import sys

def read_safetensors(path):
    with open(path, 'rb') as f:
        blob = f.read()
    (n,) = struct.unpack_from('<Q', blob, 0)
    header = json.loads(blob[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        b, e = info['data_offsets']
        out[name] = (info['dtype'], info['shape'], blob[base + b:base + e])
    return out, header.get('__metadata__', {})

GGML_TYPES = {0: ('F32', 4), 1: ('F16', 2), 30: ('BF16', 2)}

def read_gguf(path):
    with open(path, 'rb') as f:
        blob = f.read()
    pos = 0
    def take(fmt):
        nonlocal pos
        v = struct.unpack_from('<' + fmt, blob, pos)
        pos += struct.calcsize('<' + fmt)
        return v[0] if len(v) == 1 else v
    def string():
        nonlocal pos
        n = take('Q')
        s = blob[pos:pos + n].decode()
        pos += n
        return s
    scalar = {0: 'B', 1: 'b', 2: 'H', 3: 'h', 4: 'I', 5: 'i', 6: 'f', 7: '?', 10: 'Q', 11: 'q', 12: 'd'}
    def value(t):
        if t == 8:
            return string()
        if t == 9:
            it = take('I')
            n = take('Q')
            return [value(it) for _ in range(n)]
        return take(scalar[t])
    assert blob[:4] == b'GGUF', 'not a GGUF file'
    pos = 4
    version = take('I')
    assert version == 3, 'GGUF version %d' % version
    n_tensors = take('Q')
    n_kv = take('Q')
    kv = {}
    for _ in range(n_kv):
        k = string()
        kv[k] = value(take('I'))
    infos = []
    for _ in range(n_tensors):
        name = string()
        nd = take('I')
        ne = [take('Q') for _ in range(nd)]
        t = take('I')
        off = take('Q')
        infos.append((name, ne, t, off))
    align = kv.get('general.alignment', 32)
    data = pos + (-pos % align)
    out = {}
    for name, ne, t, off in infos:
        tname, size = GGML_TYPES[t]
        n = 1
        for d in ne:
            n *= d
        shape = list(reversed(ne))
        out[name] = (tname, shape, blob[data + off:data + off + n * size])
    return out, kv

def f16_bits(x):
    return struct.unpack('<H', struct.pack('<e', x))[0]

def bf16_bits(x):
    (b,) = struct.unpack('<I', struct.pack('<f', x))
    return ((b + 0x7FFF + ((b >> 16) & 1)) >> 16) & 0xFFFF

def main(inp, outp, fmt, dtype):
    src, _ = read_safetensors(inp)
    dst, meta = read_gguf(outp) if fmt == 'gguf' else read_safetensors(outp)
    problems = []
    types = {}
    if sorted(src) != sorted(dst):
        problems.append('tensor names differ: %s vs %s' % (sorted(src), sorted(dst)))
    for name, (sdt, sshape, sdata) in src.items():
        if name not in dst:
            continue
        ddt, dshape, ddata = dst[name]
        types[name] = ddt
        if list(dshape) != list(sshape):
            problems.append('%s: shape %s, input %s' % (name, dshape, sshape))
        vals = struct.unpack('<%df' % (len(sdata) // 4), sdata)
        # GGUF: tensors with fewer than two dimensions (ggml_n_dims: outer 1s do not count) stay F32
        dims = list(sshape)
        while len(dims) > 1 and dims[0] == 1:
            dims.pop(0)
        expect = 'F32' if fmt == 'gguf' and len(dims) < 2 else dtype
        if ddt != expect:
            problems.append('%s: type %s, expected %s' % (name, ddt, expect))
            continue
        if ddt == 'F32':
            ok = ddata == sdata
        else:
            conv = f16_bits if ddt == 'F16' else bf16_bits
            got = struct.unpack('<%dH' % (len(ddata) // 2), ddata)
            want = tuple(conv(v) for v in vals)
            bad = [i for i in range(len(want)) if got[i] != want[i]]
            ok = not bad
            if bad:
                i = bad[0]
                problems.append('%s: %d of %d values differ, first [%d] %r -> 0x%04x, expected 0x%04x' % (name, len(bad), len(want), i, vals[i], got[i], want[i]))
                continue
        if not ok:
            problems.append('%s: bytes differ' % name)
    print(json.dumps({'ok': not problems, 'tensors': len(dst), 'types': types, 'problems': problems}))

if __name__ == '__main__':
    main(*sys.argv[1:5])

#!/usr/bin/env python3
"""Checks a safetensors file that Kiln cast from another format against the source tensors'
original bytes as recorded by the tool that wrote them (torch, numpy, onnx), with plain Python:
floats are decoded from their stored dtype and rounded to the target with struct (round to nearest
even), integers and booleans must be copied unchanged. Nothing of Kiln is used.

usage: check_cast.py EXPECTED.json OUTPUT.safetensors (F32|F16|BF16)
EXPECTED.json: [{"name", "dtype", "shape", "hex"}...], dtype spelled by torch, TensorFlow or ONNX.
prints one JSON object: {"ok": bool, "checked": n, "problems": [...]}
"""
import json
import math
import struct
import sys

FLOAT = {'f32': ('f', 4), 'f64': ('d', 8), 'f16': ('e', 2)}
INTS = {'i8': 'b', 'i16': 'h', 'i32': 'i', 'i64': 'q', 'u8': 'B', 'u16': 'H', 'u32': 'I', 'u64': 'Q', 'bool': '?'}
ALIASES = {
    'float32': 'f32', 'float': 'f32', 'dt_float': 'f32',
    'float64': 'f64', 'double': 'f64', 'dt_double': 'f64',
    'float16': 'f16', 'half': 'f16', 'dt_half': 'f16',
    'bfloat16': 'bf16', 'dt_bfloat16': 'bf16',
    'int8': 'i8', 'dt_int8': 'i8', 'int16': 'i16', 'dt_int16': 'i16', 'int32': 'i32', 'dt_int32': 'i32', 'int64': 'i64', 'dt_int64': 'i64',
    'uint8': 'u8', 'dt_uint8': 'u8', 'uint16': 'u16', 'dt_uint16': 'u16', 'uint32': 'u32', 'dt_uint32': 'u32', 'uint64': 'u64', 'dt_uint64': 'u64',
    'bool': 'bool', 'dt_bool': 'bool',
    'float8_e4m3fn': 'f8e4m3', 'float8e4m3fn': 'f8e4m3', 'float8_e5m2': 'f8e5m2', 'float8e5m2': 'f8e5m2',
}
ST_NAME = {'f32': 'F32', 'f16': 'F16', 'bf16': 'BF16', 'f64': 'F64', 'i8': 'I8', 'i16': 'I16', 'i32': 'I32', 'i64': 'I64', 'u8': 'U8', 'u16': 'U16', 'u32': 'U32', 'u64': 'U64', 'bool': 'BOOL'}

def norm(dtype):
    d = dtype.lower().replace('torch.', '')
    return ALIASES.get(d)

def f8(b, exp_bits, bias, fn):
    man_bits = 7 - exp_bits
    sign = -1.0 if b & 0x80 else 1.0
    e = (b >> man_bits) & ((1 << exp_bits) - 1)
    m = b & ((1 << man_bits) - 1)
    emax = (1 << exp_bits) - 1
    if fn and e == emax and m == (1 << man_bits) - 1:
        return math.nan
    if not fn and e == emax:
        return sign * math.inf if m == 0 else math.nan
    if e == 0:
        return sign * m * 2.0 ** (1 - bias - man_bits)
    return sign * (1 + m / (1 << man_bits)) * 2.0 ** (e - bias)

def decode(kind, raw):
    if kind in FLOAT:
        c, n = FLOAT[kind]
        return list(struct.unpack('<%d%s' % (len(raw) // n, c), raw))
    if kind == 'bf16':
        return [struct.unpack('<f', struct.pack('<I', h << 16))[0] for h in struct.unpack('<%dH' % (len(raw) // 2), raw)]
    if kind == 'f8e4m3':
        return [f8(b, 4, 7, True) for b in raw]
    if kind == 'f8e5m2':
        return [f8(b, 5, 15, False) for b in raw]
    raise ValueError(kind)

def pack(fmt, x):
    # struct refuses values that round past the largest finite value; IEEE rounds them to Inf
    try:
        return struct.pack(fmt, x)
    except OverflowError:
        return struct.pack(fmt, math.copysign(math.inf, x))

def to_target(x, target):
    if target == 'F32':
        return pack('<f', x)
    if target == 'F16':
        return pack('<e', x)
    (b,) = struct.unpack('<I', pack('<f', x))
    if (b & 0x7FFFFFFF) > 0x7F800000:
        return struct.pack('<H', ((b >> 16) | 0x40) & 0xFFFF)
    return struct.pack('<H', ((b + 0x7FFF + ((b >> 16) & 1)) >> 16) & 0xFFFF)

def read_safetensors(path):
    with open(path, 'rb') as f:
        blob = f.read()
    (n,) = struct.unpack_from('<Q', blob, 0)
    header = json.loads(blob[8:8 + n])
    out = {}
    for name, info in header.items():
        if name != '__metadata__':
            b, e = info['data_offsets']
            out[name] = (info['dtype'], info['shape'], blob[8 + n + b:8 + n + e])
    return out

def main(expected_path, output_path, target):
    expected = json.load(open(expected_path))
    out = read_safetensors(output_path)
    problems = []
    checked = 0
    for t in expected:
        kind = norm(t['dtype'])
        if kind is None or 'hex' not in t:
            continue  # a type Kiln lists but does not convert, or an entry without data of its own
        name = t['name']
        if name not in out:
            problems.append('%s: missing from the output' % name)
            continue
        dtype, shape, data = out[name]
        raw = bytes.fromhex(t['hex'])
        if list(shape) != list(t['shape']):
            problems.append('%s: shape %s, source %s' % (name, shape, t['shape']))
        if kind in INTS:
            if dtype != ST_NAME[kind] or data != raw:
                problems.append('%s: integer tensor not copied (%s, %d bytes)' % (name, dtype, len(data)))
        else:
            want = b''.join(to_target(x, target) for x in decode(kind, raw))
            if dtype != target:
                problems.append('%s: dtype %s, expected %s' % (name, dtype, target))
            elif data != want:
                problems.append('%s: values differ' % name)
        checked += 1
    print(json.dumps({'ok': not problems, 'checked': checked, 'problems': problems}))

if __name__ == '__main__':
    main(*sys.argv[1:4])

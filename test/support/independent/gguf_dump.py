#!/usr/bin/env python3
"""Dumps a GGUF v3 file with plain Python (nothing of Kiln): every key with its GGUF type and value
(64-bit integers as strings, arrays as their item type, length and a SHA-256 of their items), and
every tensor's type id, shape and the SHA-256 of its data bytes.

usage: gguf_dump.py FILE  ->  one JSON object {"kv": {key: [type, value]}, "tensors": {name: [type, shape, sha256]}}
"""
import hashlib
import json
import struct
import sys

SCALARS = {0: ('u8', '<B'), 1: ('i8', '<b'), 2: ('u16', '<H'), 3: ('i16', '<h'), 4: ('u32', '<I'), 5: ('i32', '<i'),
           6: ('f32', '<f'), 7: ('bool', '<?'), 10: ('u64', '<Q'), 11: ('i64', '<q'), 12: ('f64', '<d')}
# ggml type id -> (elements per block, bytes per block), for the types the tests write
BLOCKS = {0: (1, 4), 1: (1, 2), 30: (1, 2), 2: (32, 18), 8: (32, 34), 12: (256, 144), 14: (256, 210)}


def main(path):
    blob = open(path, 'rb').read()
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from(fmt, blob, pos)
        pos += struct.calcsize(fmt)
        return v[0]

    def string():
        nonlocal pos
        n = take('<Q')
        s = blob[pos:pos + n].decode('utf-8')
        pos += n
        return s

    def value(t):
        if t == 8:
            return string()
        if t == 9:
            it = take('<I')
            n = take('<Q')
            items = [value(it) for _ in range(n)]
            return {'array': SCALARS.get(it, ('string' if it == 8 else 'array',))[0], 'n': n,
                    'sha256': hashlib.sha256(json.dumps(items, default=str).encode()).hexdigest()}
        name, fmt = SCALARS[t]
        v = take(fmt)
        return str(v) if name in ('u64', 'i64') else v

    assert blob[:4] == b'GGUF', 'not a GGUF file'
    pos = 4
    assert take('<I') == 3, 'not GGUF v3'
    n_tensors = take('<Q')
    n_kv = take('<Q')
    kv = {}
    for _ in range(n_kv):
        key = string()
        t = take('<I')
        kv[key] = ['string' if t == 8 else 'array' if t == 9 else SCALARS[t][0], value(t)]
    infos = []
    for _ in range(n_tensors):
        name = string()
        nd = take('<I')
        ne = [take('<Q') for _ in range(nd)]
        t = take('<I')
        off = take('<Q')
        infos.append((name, t, ne, off))
    align = kv.get('general.alignment', ['u32', 32])[1]
    data = (pos + align - 1) // align * align
    tensors = {}
    for name, t, ne, off in infos:
        n = 1
        for d in ne:
            n *= d
        per, size = BLOCKS[t]
        nbytes = n // per * size
        tensors[name] = [t, ne, hashlib.sha256(blob[data + off:data + off + nbytes]).hexdigest()]
    print(json.dumps({'kv': kv, 'tensors': tensors}))


main(sys.argv[1])

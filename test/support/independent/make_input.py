#!/usr/bin/env python3
"""Writes a small F32 safetensors file for the end-to-end tests, with plain Python (struct, json),
independent of Kiln's writer. Values are seeded and include rounding ties for F16 and BF16, tiny
values that underflow F16, and large values near the F16 limit.

usage: make_input.py OUT.safetensors
"""
import json
import random
import struct
import sys

rng = random.Random(20261129)

def values(n):
    out = []
    for i in range(n):
        k = i % 97
        if k == 0:
            out.append(0.0)
        elif k == 1:
            out.append(-(1.0 + 2.0 ** -11))  # f16 tie (to even)
        elif k == 2:
            out.append(1.0 + 3 * 2.0 ** -11)  # f16 tie (up)
        elif k == 3:
            out.append(1.0 + 2.0 ** -8)  # bf16 tie
        elif k == 4:
            out.append(3.0e-8 * rng.choice((-1, 1)))  # f16 subnormal range
        elif k == 5:
            out.append(rng.uniform(-60000.0, 60000.0))
        else:
            out.append(rng.gauss(0.0, 0.05))
    # round to float32 once, as the file stores them
    return [struct.unpack('<f', struct.pack('<f', v))[0] for v in out]

TENSORS = [
    ('model.embed_tokens.weight', [64, 96]),
    ('model.layers.0.mlp.up_proj.weight', [128, 96]),
    ('model.layers.0.input_layernorm.weight', [96]),
    ('model.odd.weight', [3, 5, 7]),
    ('model.scale', []),
]

def main(path):
    header = {'__metadata__': {'format': 'pt'}}
    blobs = []
    offset = 0
    for name, shape in TENSORS:
        n = 1
        for d in shape:
            n *= d
        data = struct.pack('<%df' % n, *values(n))
        header[name] = {'dtype': 'F32', 'shape': shape, 'data_offsets': [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)

if __name__ == '__main__':
    main(sys.argv[1])

"""
Dumps the KVs llama.cpp's convert_hf_to_gguf.py (conversion/ package at 34af94cd) writes for an
HF folder, as JSON beside the folder (<folder>.kv.json): generate_extra_tensors (for the KVs it
adds), set_type, set_gguf_parameters, set_vocab. Not part of npm test; it made
test/fixtures/hf-families/*.kv.json.

    python3 converter-kvs.py FOLDER   # with llama.cpp's conversion/ and gguf-py/, and sentencepiece, on sys.path

torch is stubbed (a MagicMock: this path does no tensor math) and transformers is absent, so
load_hparams falls back to config.json as written (the tiny configs spell out every key the
converter reads; transformers 4.57.6 would add only defaults that change no KV for them).
prepare_metadata's general.name / size_label and general.quantization_version are not run.
Paths below are where the session that made the fixtures had those trees; change them to yours.
"""
import sys, types
from unittest.mock import MagicMock
sys.path[:0] = ['/tmp/ggufpy/gguf-py', '/tmp/sppkg', '/tmp/conv']  # gguf-py, sentencepiece, conversion/ at 34af94cd
sys.modules['torch'] = MagicMock()
tf = types.ModuleType('transformers')
class AutoConfig:
    @staticmethod
    def from_pretrained(*a, **k): raise RuntimeError('stub: no transformers')
tf.AutoConfig = AutoConfig
tf.AutoTokenizer = MagicMock()
sys.modules['transformers'] = tf
import json
from pathlib import Path
import gguf
from conversion.base import ModelBase, ModelType
import conversion  # registers
d = Path(sys.argv[1])
hp = ModelBase.load_hparams(d, False)
arch = (hp.get('text_config', {}) or {}).get('architectures', hp['architectures'])[0]
from conversion import get_model_class
cls = get_model_class(hp["architectures"][0])
m = cls(d, gguf.LlamaFileType.MOSTLY_BF16, Path('/tmp/conv/out.gguf'), hparams=None)
try:
    for _ in m.generate_extra_tensors(): pass
except Exception as e:
    print('extra tensors:', repr(e))
m.set_type()
m.set_gguf_parameters()
m.set_vocab()
for k, v in m.gguf_writer.kv_data[0].items():
    val = v.value
    if isinstance(val, list): val = f'[{len(val)}] {val[:3]}'
    print(k, v.type.name, val)
import json as _j
def conv(v):
    if isinstance(v, (bytes, bytearray)): return v.decode('utf-8')
    if isinstance(v, list): return [conv(x) for x in v]
    if hasattr(v, 'item'): return v.item()
    return v
_j.dump({k: [v.type.name + (':' + v.sub_type.name if v.sub_type is not None else ''), conv(v.value)] for k, v in m.gguf_writer.kv_data[0].items()}, open(str(d) + '.kv.json', 'w'))

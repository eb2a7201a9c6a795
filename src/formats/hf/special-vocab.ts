import type { MetaValue } from '../model';

/**
 * The special-token keys of a GGUF vocabulary as gguf-py's SpecialVocab finds them (vocab.py at
 * llama.cpp 34af94cd): ids from tokenizer.json's added tokens named by tokenizer_config.json, then
 * from config.json's *_token_id; add_bos/add_eos from tokenizer_config.json or tokenizer.json's
 * post-processor; the chat template; normalizer flags. Merges are the BPE slice's business.
 */

type Json = Record<string, unknown>;

export interface SpecialVocabInput {
  readonly tokenizerJson: Json | null;
  /** tokenizer_config.json; mutated copies are made, the input is not changed. */
  readonly tokenizerConfig: Json | null;
  readonly config: Json | null;
  /** chat_template.jinja's text, when the folder has one. */
  readonly chatTemplateJinja: string | null;
  /** chat_template.json's "chat_template", when the folder has one (and no .jinja). */
  readonly chatTemplateJson: unknown;
  readonly nVocab: number | null;
}

/** SpecialVocab.add_to_gguf's handlers: add_<typ>_token_id methods that exist on GGUFWriter. */
const ID_KEYS: Readonly<Record<string, string>> = {
  bos: 'tokenizer.ggml.bos_token_id',
  eos: 'tokenizer.ggml.eos_token_id',
  unk: 'tokenizer.ggml.unknown_token_id',
  sep: 'tokenizer.ggml.seperator_token_id',
  pad: 'tokenizer.ggml.padding_token_id',
  mask: 'tokenizer.ggml.mask_token_id',
  eot: 'tokenizer.ggml.eot_token_id',
  eom: 'tokenizer.ggml.eom_token_id',
};
const ADD_KEYS: Readonly<Record<string, string>> = {
  bos: 'tokenizer.ggml.add_bos_token',
  eos: 'tokenizer.ggml.add_eos_token',
  sep: 'tokenizer.ggml.add_sep_token',
};

const obj = (v: unknown): Json | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
/** Python truthiness of a JSON value. */
const truthy = (v: unknown): boolean => !(v === null || v === undefined || v === false || v === 0 || v === '' || (Array.isArray(v) && v.length === 0) || (obj(v) !== null && Object.keys(v as Json).length === 0));
const specialId = (item: unknown): unknown => obj(obj(item)?.['SpecialToken'])?.['id'];
/** JSON's ints are Python ints; a float-looking id (1.0) cannot be told apart here and is taken. */
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

export function specialVocabKvs(input: SpecialVocabInput): Array<[string, MetaValue]> {
  const ids = new Map<string, number>();
  const add = new Map<string, boolean>();
  let types: string[] = ['bos', 'eos', 'unk', 'sep', 'pad', 'cls', 'mask'];
  let chatTemplate: unknown = null;
  let lowercase: boolean | null = null;
  let stripAccents: boolean | null = null;

  const setSpecial = (typ: string, tid: unknown) => {
    if (!isInt(tid)) return;
    if (tid < 0) throw new RangeError(`invalid value for special token type ${typ}: ${tid}`);
    if (input.nVocab === null || tid < input.nVocab) {
      if (!ids.has(typ)) ids.set(typ, tid);
    }
  };
  const parseNormalizer = (n: Json) => {
    const t = n['type'];
    if (t === 'Lowercase') lowercase = true;
    else if (t === 'StripAccents') stripAccents = true;
    else if (t === 'BertNormalizer') {
      if ('lowercase' in n) lowercase = n['lowercase'] as boolean;
      if ('strip_accents' in n) stripAccents = n['strip_accents'] as boolean;
    } else if (t === 'Sequence') for (const x of arr(n['normalizers'])) if (obj(x)) parseNormalizer(obj(x)!);
  };

  // _try_load_from_tokenizer_json
  const tok = input.tokenizerJson;
  const tc: Json | null = input.tokenizerConfig === null ? null : { ...input.tokenizerConfig };
  let addedTokens: unknown[] = [];
  if (tok !== null) {
    const norm = obj(tok['normalizer']);
    if (norm !== null && truthy(norm)) parseNormalizer(norm);
    addedTokens = arr(tok['added_tokens']);
    let bos = tc?.['bos_token'];
    let cls = tc?.['cls_token'];
    let eos = tc?.['eos_token'];
    let sep = tc?.['sep_token'];
    const tcOk = tc !== null && truthy(tc);
    if (!truthy(bos) && truthy(cls) && tcOk) tc!['bos_token'] = bos = cls;
    if (!truthy(eos) && truthy(sep) && tcOk) tc!['eos_token'] = eos = sep;
    const pp = obj(tok['post_processor']);
    if (pp !== null && truthy(pp)) {
      const processors = 'processors' in pp ? arr(pp['processors']) : [pp];
      for (const p0 of processors) {
        const p = obj(p0) ?? {};
        if (p['type'] === 'RobertaProcessing') {
          add.set('bos', true);
          add.set('eos', true);
          add.set('sep', true);
          if (!truthy(cls) && tcOk) tc!['cls_token'] = cls = 'cls' in p ? arr(p['cls'])[0] : bos;
          if (!truthy(sep) && tcOk) tc!['sep_token'] = sep = 'sep' in p ? arr(p['sep'])[0] : eos;
          continue;
        }
        if (p['type'] !== 'TemplateProcessing') continue;
        const single = arr(p['single']);
        let pair = arr(p['pair']);
        let first: unknown = null;
        let last: unknown = null;
        if (single.length > 1) {
          first = specialId(single[0]);
          if (truthy(first)) {
            if (!tcOk) bos = first;
            else if (first !== bos && first !== cls) {
              if (!truthy(bos)) tc!['bos_token'] = bos = first;
              if (!truthy(cls)) tc!['cls_token'] = cls = first;
            }
            add.set('bos', first === bos || first === cls);
          }
          last = specialId(single[single.length - 1]);
          if (truthy(last)) {
            if (!tcOk) eos = last;
            else if (last !== eos) {
              if (!types.includes('eot')) {
                types = [...types, 'eot'];
                tc!['eot_token'] = eos;
              } else if (!types.includes('eom')) {
                types = [...types, 'eom'];
                tc!['eom_token'] = eos;
              }
              tc!['eos_token'] = eos = last;
            }
            add.set('eos', last === eos);
          }
        }
        if (pair.length > 0) {
          const start = truthy(first) && specialId(pair[0]) === first ? 1 : 0;
          const stop = truthy(last) && specialId(pair[pair.length - 1]) === last ? pair.length - 1 : pair.length;
          pair = pair.slice(start, stop);
          if (pair.length > 0) {
            const a = obj(obj(pair[0])?.['Sequence'])?.['id'];
            const b = obj(obj(pair[pair.length - 1])?.['Sequence'])?.['id'];
            if (a === 'A' && b === 'B' && pair.length > 2) {
              const mid = pair.slice(1, -1);
              let addSep = false;
              const e0 = specialId(mid[0]);
              if (truthy(e0) && (e0 === sep || e0 === eos) && !truthy(last)) addSep = true;
              if (mid.length === 2) {
                const e1 = specialId(mid[1]);
                if (truthy(e1) && (e1 === sep || e1 === eos)) addSep = true;
              }
              add.set('sep', addSep);
              if (addSep && !truthy(sep) && tcOk) tc!['sep_token'] = eos;
            }
          }
        }
      }
    }
  }
  if (tc !== null && truthy(tc)) {
    const alt = input.chatTemplateJinja ?? input.chatTemplateJson ?? null;
    const ct = 'chat_template' in tc ? tc['chat_template'] : alt;
    if (ct === null || typeof ct === 'string' || Array.isArray(ct)) chatTemplate = ct;
    for (const typ of types) {
      const addEntry = tc[`add_${typ}_token`];
      if (typeof addEntry === 'boolean') add.set(typ, addEntry);
      const entry = tc[`${typ}_token`];
      let content: string;
      if (typeof entry === 'string') content = entry;
      else if (obj(entry) !== null && typeof obj(entry)!['content'] === 'string') content = obj(entry)!['content'] as string;
      else continue;
      const hit = addedTokens.find((t) => obj(t)?.['content'] === content);
      setSpecial(typ, hit === undefined ? null : obj(hit)!['id']);
    }
  }
  // _try_load_from_config_json
  if (input.config !== null) {
    const text = obj(input.config['text_config']);
    for (const typ of types) {
      let id = input.config[`${typ}_token_id`];
      if ((id === undefined || id === null) && text !== null) id = text[`${typ}_token_id`];
      setSpecial(typ, id);
    }
  }

  // add_to_gguf
  const out: Array<[string, MetaValue]> = [];
  for (const [typ, id] of ids) if (ID_KEYS[typ] !== undefined) out.push([ID_KEYS[typ]!, { type: 'u32', value: id }]);
  for (const [typ, v] of add) if (ADD_KEYS[typ] !== undefined) out.push([ADD_KEYS[typ]!, { type: 'bool', value: v }]);
  out.push(...chatTemplateKvs(chatTemplate));
  if (lowercase !== null) out.push(['tokenizer.ggml.normalizer.lowercase', { type: 'bool', value: lowercase }]);
  if (stripAccents !== null) out.push(['tokenizer.ggml.normalizer.strip_accents', { type: 'bool', value: stripAccents }]);
  return out;
}

/**
 * GGUFWriter.add_chat_template: a string is tokenizer.chat_template; a list of {name, template}
 * gives tokenizer.chat_template.<name> per named one, their names in tokenizer.chat_templates,
 * and the "default" one as tokenizer.chat_template. The reference collects the names in a Python
 * set, whose order varies between runs; they are sorted here.
 */
function chatTemplateKvs(ct: unknown): Array<[string, MetaValue]> {
  if (ct === null || ct === undefined) return [];
  if (typeof ct === 'string') return ct === '' ? [] : [['tokenizer.chat_template', { type: 'string', value: ct }]];
  const out: Array<[string, MetaValue]> = [];
  let def: string | null = null;
  const names = new Set<string>();
  for (const c of arr(ct)) {
    const choice = obj(c) ?? {};
    const raw = typeof choice['name'] === 'string' ? (choice['name'] as string) : '';
    const name = raw.replace(/[^A-Za-z0-9]/g, '_');
    const template = choice['template'];
    if (name === '' || template === undefined || template === null) continue;
    if (name === 'default') def = String(template);
    else {
      names.add(name);
      if (String(template) !== '') out.push([`tokenizer.chat_template.${name}`, { type: 'string', value: String(template) }]);
    }
  }
  if (names.size > 0) out.push(['tokenizer.chat_templates', { type: 'array', itemType: 'string', value: [...names].sort() }]);
  if (def !== null && def !== '') out.push(['tokenizer.chat_template', { type: 'string', value: def }]);
  return out;
}

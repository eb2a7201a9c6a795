/** Hard limits for the small files of a Hugging Face folder, each read whole into memory. */

/** config.json, generation_config.json, tokenizer_config.json (chat templates make some ~100 KB). */
export const HF_MAX_JSON_BYTES = 16 * 1024 * 1024;

/** tokenizer.model / tokenizer.json: the largest public vocabularies (~256k tokens) are ~35 MB. */
export const HF_MAX_TOKENIZER_BYTES = 128 * 1024 * 1024;

/** More layers than any published model by far; bounds the tensor-name map built per block. */
export const HF_MAX_LAYERS = 4096;

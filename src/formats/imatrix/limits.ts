/**
 * Limits for the importance matrix readers (see ../limits.ts for the idea). The GGUF form is read
 * by the GGUF header reader and bounded by its limits; these bound the legacy .dat stream.
 */
import { GGUF_MAX_TENSORS } from '../limits';

/** Entries per file: one per weight matrix, so never more than a GGUF holds tensors. */
export const IMATRIX_MAX_ENTRIES = GGUF_MAX_TENSORS;

/** An entry is named after a tensor (ggml allows 63 bytes); 4 KiB leaves room for odd writers. */
export const IMATRIX_MAX_NAME_BYTES = 4096;

/** The dataset name is a file name or a list of them. */
export const IMATRIX_MAX_DATASET_BYTES = 1 << 20;

/**
 * Hard limits for the TensorFlow bundle reader; each is checked before anything it sizes is
 * allocated. Real checkpoints sit far inside them.
 */

/** One table block (before and after Snappy). TF's table builder cuts data blocks at ~4 KB; the index block of a checkpoint with 100k tensors is a few MB. */
export const TF_MAX_BLOCK_BYTES = 64 * 1024 * 1024;

/** Bytes of one key. Tensor names are paths of a few hundred bytes at most; the cap bounds the cost of rebuilding prefix-compressed keys. */
export const TF_MAX_KEY_BYTES = 16 * 1024;

/** Key bytes materialised over the whole index: bounds the work a hostile index of tiny entries sharing long prefixes can cause. */
export const TF_MAX_TOTAL_KEY_BYTES = 64 * 1024 * 1024;

/** Entries (tensors, slices, header) per bundle. Large checkpoints hold tens of thousands. */
export const TF_MAX_ENTRIES = 1 << 20;

/** Data files per bundle: DataFilename() prints the shard count with %05d. */
export const TF_MAX_SHARDS = 99999;

/** TensorShapeProto dims: TensorShape's own limit (TensorShape::MaxDimensions) is 254. */
export const TF_MAX_DIMS = 254;

/** Slices of one partitioned tensor. */
export const TF_MAX_SLICES = 1 << 16;

/** Footer size: two BlockHandles padded to 40 bytes plus the 8-byte magic (table/format.h kEncodedLength). */
export const TABLE_FOOTER_BYTES = 48;

/** Block trailer: one compression-type byte and a masked CRC-32C (kBlockTrailerSize). */
export const BLOCK_TRAILER_BYTES = 5;

/**
 * What the browser takes on before it sends people to the CLI. Hashing runs in a worker and streams big
 * files, so these bound memory (leaves are held as 32 bytes each), not time.
 */
/** A single sample to prove: hashed by streaming, so the bound is generous. */
export const MAX_SAMPLE_BYTES = 4 * 1024 ** 3;
/** Above this a sample is streamed through an incremental hash instead of read whole into WebCrypto. */
export const STREAM_SAMPLE_BYTES = 256 * 1024 ** 2;
/** A dataset minted from the browser: distinct samples (32 bytes each in memory and in the upload). */
export const MAX_BROWSER_LEAVES = 4 * 1024 ** 2;
/** A dataset minted from the browser: bytes read in total. */
export const MAX_BROWSER_DATASET_BYTES = 8 * 1024 ** 3;

/*
 * Provenant's batched SHA-256 hashing (an N-API addon; built by scripts/build-native.sh at install time).
 *
 * node:crypto costs about 700 ns of fixed overhead per call, more than hashing a 100-byte record itself
 * (shared/notes/performance.md). Here one call hashes a whole work unit: every record of a JSONL/CSV byte range,
 * or every file of a list, and writes the unit's bucketed run file; another call merges bucket ranges of runs;
 * others hash a shard's tree, one message (a CID's leaf), or walk a files dataset with its sizes.
 * The JavaScript in core/dataset/encodings.ts and core/dataset/scale/ is the reference: the tests check that
 * both give the same bytes on every vector. Async calls run on libuv's thread pool, so units hash in parallel
 * inside one process.
 *
 * SHA-256 is the OpenSSL inside the node binary (its exported symbols, resolved when node loads this file; SHA-NI
 * where the CPU has it), except for short messages hashed in bulk: records two at a time and 64-byte tree nodes
 * two at a time, with the SHA extensions directly (OpenSSL's init/update/final costs ~150 ns a record here and
 * ~160 ns a node; interleaved pairs ~115 ns and ~70 ns). The tests hold them to node:crypto and OpenSSL at every
 * length from 1 to 300 bytes in uneven pairs and on every tree shape; CPUs without the extensions use OpenSSL.
 */
#define _GNU_SOURCE /* O_PATH, SCHED_BATCH */
#define NAPI_VERSION 8
#include <node_api.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- SHA-256 -------------------------------------------------------------------------------------------- */

/* From the OpenSSL linked into node (exported for addons). OpenSSL 3's one-shot SHA256() looks the algorithm
 * up on every call (EVP_Q_digest), about 500 ns here: the low-level calls skip that. The context is opaque to
 * us; 112 bytes in OpenSSL 3 (SHA256_CTX), given room to spare. */
typedef struct {
  uint64_t words[32];
} sha256_ctx_space;
int SHA256_Init(void *c);
int SHA256_Update(void *c, const void *data, size_t len);
int SHA256_Final(unsigned char *md, void *c);

static void sha256(const uint8_t *data, size_t len, uint8_t out[32]) {
  sha256_ctx_space ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data, len);
  SHA256_Final(out, &ctx);
}

/* ---- tree nodes: SHA-256 of 64-byte messages with the CPU's SHA extensions, two at a time ------------------ */

/*
 * A merkle-v1 inner node hashes exactly 64 bytes, so its second block is always the same padding block, whose
 * message schedule (plus the round constants) is computed once. SHA rounds are a chain of dependent
 * instructions: hashing two nodes interleaved keeps the SHA unit busy. Through OpenSSL a node costs one
 * init/update/final (about 160 ns here); this is the speed of @chainsafe/hashtree, which the main thread uses,
 * but on the thread pool. Checked against OpenSSL by treeRoot's tests; CPUs without SHA extensions use OpenSSL.
 */
#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define SHANI_TARGET __attribute__((target("sha,sse4.1,ssse3")))

static const uint32_t SHA_K[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
    0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
    0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
    0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
/* The padding block of a 64-byte message (0x80, zeros, bit length 512): schedule words plus round constants. */
static uint32_t PAD_KW[64] __attribute__((aligned(16)));
static int shani_ok;

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
static void shani_setup(void) {
  unsigned a, b, c, d;
  int sha = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29));
  int sse = __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 19)) && (c & (1u << 9));
  uint32_t w[64] = {0x80000000u};
  w[15] = 512;
  for (int t = 16; t < 64; t++) {
    uint32_t s0 = ROTR(w[t - 15], 7) ^ ROTR(w[t - 15], 18) ^ (w[t - 15] >> 3);
    uint32_t s1 = ROTR(w[t - 2], 17) ^ ROTR(w[t - 2], 19) ^ (w[t - 2] >> 10);
    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }
  for (int t = 0; t < 64; t++) PAD_KW[t] = w[t] + SHA_K[t];
  shani_ok = sha && sse && !getenv("PROVENANT_NO_SHANI");
}

/* One block of each of two messages; states in the ABEF/CDGH layout the SHA instructions use. kw: a
 * precomputed schedule (the padding block) instead of the data's. */
SHANI_TARGET static inline void shani_block_x2(__m128i st[4], const uint8_t *da, const uint8_t *db, const uint32_t *kw) {
  const __m128i MASK = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i a0 = st[0], a1 = st[1], b0 = st[2], b1 = st[3], ma[4], mb[4], x, y;
#pragma GCC unroll 16
  for (int g = 0; g < 16; g++) {
    if (kw) {
      x = y = _mm_load_si128((const __m128i *)(kw + 4 * g));
    } else {
      if (g < 4) {
        ma[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(da + 16 * g)), MASK);
        mb[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(db + 16 * g)), MASK);
      } else {
        /* W[4g..4g+3] from the four groups before it */
        __m128i t = _mm_sha256msg1_epu32(ma[g & 3], ma[(g - 3) & 3]);
        __m128i u = _mm_sha256msg1_epu32(mb[g & 3], mb[(g - 3) & 3]);
        t = _mm_add_epi32(t, _mm_alignr_epi8(ma[(g - 1) & 3], ma[(g - 2) & 3], 4));
        u = _mm_add_epi32(u, _mm_alignr_epi8(mb[(g - 1) & 3], mb[(g - 2) & 3], 4));
        ma[g & 3] = _mm_sha256msg2_epu32(t, ma[(g - 1) & 3]);
        mb[g & 3] = _mm_sha256msg2_epu32(u, mb[(g - 1) & 3]);
      }
      __m128i k = _mm_load_si128((const __m128i *)(SHA_K + 4 * g));
      x = _mm_add_epi32(ma[g & 3], k);
      y = _mm_add_epi32(mb[g & 3], k);
    }
    a1 = _mm_sha256rnds2_epu32(a1, a0, x);
    b1 = _mm_sha256rnds2_epu32(b1, b0, y);
    x = _mm_shuffle_epi32(x, 0x0E);
    y = _mm_shuffle_epi32(y, 0x0E);
    a0 = _mm_sha256rnds2_epu32(a0, a1, x);
    b0 = _mm_sha256rnds2_epu32(b0, b1, y);
  }
  st[0] = _mm_add_epi32(st[0], a0);
  st[1] = _mm_add_epi32(st[1], a1);
  st[2] = _mm_add_epi32(st[2], b0);
  st[3] = _mm_add_epi32(st[3], b1);
}

SHANI_TARGET static inline void shani_store(__m128i abef, __m128i cdgh, uint8_t *out) {
  const __m128i BSWAP = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i feba = _mm_shuffle_epi32(abef, 0x1B), dchg = _mm_shuffle_epi32(cdgh, 0xB1);
  _mm_storeu_si128((__m128i *)out, _mm_shuffle_epi8(_mm_blend_epi16(feba, dchg, 0xF0), BSWAP));
  _mm_storeu_si128((__m128i *)(out + 16), _mm_shuffle_epi8(_mm_alignr_epi8(dchg, feba, 8), BSWAP));
}

/* out[i] = SHA-256(in[64i .. 64i+64]) for i < count. Every input byte is read before out[i] is written, so
 * out may overlap in as merkle_root lays levels out (out + 32i never past in + 64i). */
SHANI_TARGET static void shani_nodes(const uint8_t *in, size_t count, uint8_t *out) {
  const __m128i iv_abef = _mm_set_epi32(0x6a09e667, 0xbb67ae85, 0x510e527f, 0x9b05688c);
  const __m128i iv_cdgh = _mm_set_epi32(0x3c6ef372, 0xa54ff53a, 0x1f83d9ab, 0x5be0cd19);
  for (size_t i = 0; i < count; i += 2) {
    /* an odd last node is hashed beside itself */
    const uint8_t *a = in + 64 * i, *b = i + 1 < count ? a + 64 : a;
    __m128i st[4] = {iv_abef, iv_cdgh, iv_abef, iv_cdgh};
    shani_block_x2(st, a, b, NULL);
    shani_block_x2(st, NULL, NULL, PAD_KW);
    shani_store(st[0], st[1], out + 32 * i);
    if (i + 1 < count) shani_store(st[2], st[3], out + 32 * (i + 1));
  }
}

/* One block of one message (the blocks a pair's longer message has beyond the shorter one's). */
SHANI_TARGET static inline void shani_block_x1(__m128i st[2], const uint8_t *d) {
  const __m128i MASK = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i a0 = st[0], a1 = st[1], m[4], x;
#pragma GCC unroll 16
  for (int g = 0; g < 16; g++) {
    if (g < 4) {
      m[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(d + 16 * g)), MASK);
    } else {
      __m128i t = _mm_sha256msg1_epu32(m[g & 3], m[(g - 3) & 3]);
      t = _mm_add_epi32(t, _mm_alignr_epi8(m[(g - 1) & 3], m[(g - 2) & 3], 4));
      m[g & 3] = _mm_sha256msg2_epu32(t, m[(g - 1) & 3]);
    }
    x = _mm_add_epi32(m[g & 3], _mm_load_si128((const __m128i *)(SHA_K + 4 * g)));
    a1 = _mm_sha256rnds2_epu32(a1, a0, x);
    x = _mm_shuffle_epi32(x, 0x0E);
    a0 = _mm_sha256rnds2_epu32(a0, a1, x);
  }
  st[0] = _mm_add_epi32(st[0], a0);
  st[1] = _mm_add_epi32(st[1], a1);
}

/* A message as blocks: its whole 64-byte blocks in place, then its last bytes and the padding copied out. */
typedef struct {
  const uint8_t *p;
  size_t full, blocks;
  uint8_t tail[128];
} sha_message;

static void sha_message_init(sha_message *m, const uint8_t *p, size_t len) {
  size_t rest = len % 64;
  m->p = p;
  m->full = len / 64;
  size_t tail = rest + 9 <= 64 ? 64 : 128;
  m->blocks = m->full + tail / 64;
  memcpy(m->tail, p + m->full * 64, rest);
  m->tail[rest] = 0x80;
  memset(m->tail + rest + 1, 0, tail - rest - 1 - 8);
  uint64_t bits = (uint64_t)len * 8;
  for (int i = 0; i < 8; i++) m->tail[tail - 1 - i] = (uint8_t)(bits >> (8 * i));
}

static inline const uint8_t *sha_message_block(const sha_message *m, size_t k) {
  return k < m->full ? m->p + 64 * k : m->tail + 64 * (k - m->full);
}

/* SHA-256 of two messages of any lengths, their common blocks interleaved. */
SHANI_TARGET static void shani_pair(const uint8_t *a, size_t la, const uint8_t *b, size_t lb, uint8_t *oa, uint8_t *ob) {
  const __m128i iv_abef = _mm_set_epi32(0x6a09e667, 0xbb67ae85, 0x510e527f, 0x9b05688c);
  const __m128i iv_cdgh = _mm_set_epi32(0x3c6ef372, 0xa54ff53a, 0x1f83d9ab, 0x5be0cd19);
  sha_message ma, mb;
  sha_message_init(&ma, a, la);
  sha_message_init(&mb, b, lb);
  __m128i st[4] = {iv_abef, iv_cdgh, iv_abef, iv_cdgh};
  size_t common = ma.blocks < mb.blocks ? ma.blocks : mb.blocks, k = 0;
  for (; k < common; k++) shani_block_x2(st, sha_message_block(&ma, k), sha_message_block(&mb, k), NULL);
  for (size_t j = k; j < ma.blocks; j++) shani_block_x1(st, sha_message_block(&ma, j));
  for (size_t j = k; j < mb.blocks; j++) shani_block_x1(st + 2, sha_message_block(&mb, j));
  shani_store(st[0], st[1], oa);
  shani_store(st[2], st[3], ob);
}
#else
static int shani_ok;
static void shani_setup(void) {}
static void shani_nodes(const uint8_t *in, size_t count, uint8_t *out) { (void)in, (void)count, (void)out; }
static void shani_pair(const uint8_t *a, size_t la, const uint8_t *b, size_t lb, uint8_t *oa, uint8_t *ob) {
  (void)a, (void)la, (void)b, (void)lb, (void)oa, (void)ob;
}
#endif

/* SHA-256 of n messages (spans of any lengths) into out, in order: two at a time with the SHA extensions. */
typedef struct {
  const uint8_t *p;
  size_t len;
} span_t;

static void hash_spans(const span_t *spans, size_t n, uint8_t *out) {
  size_t i = 0;
  if (shani_ok)
    for (; i + 1 < n; i += 2) shani_pair(spans[i].p, spans[i].len, spans[i + 1].p, spans[i + 1].len, out + 32 * i, out + 32 * (i + 1));
  for (; i < n; i++) sha256(spans[i].p, spans[i].len, out + 32 * i);
}

/* out[i] = SHA-256(in[64i .. 64i+64]); out may overlap in as shani_nodes allows. */
static void hash_nodes(const uint8_t *in, size_t count, uint8_t *out) {
  if (shani_ok) return shani_nodes(in, count, out);
  for (size_t i = 0; i < count; i++) sha256(in + 64 * i, 64, out + 32 * i);
}

/* ---- growable buffers, kept per thread: first-touching fresh memory is slow on these VMs --------------- */

typedef struct {
  uint8_t *p;
  size_t len, cap;
} bytes_t;

static int reserve(bytes_t *b, size_t want) {
  if (want <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 1 << 16;
  while (cap < want) cap *= 2;
  uint8_t *p = realloc(b->p, cap);
  if (!p) return ENOMEM;
  b->p = p;
  b->cap = cap;
  return 0;
}

static __thread bytes_t tls_read;    /* file bytes */
static __thread bytes_t tls_digests; /* a unit's digests in input order */
static __thread bytes_t tls_bucketed;/* the same, grouped by first byte */

/* ---- errors: where a job failed, for the JavaScript side to name the file ------------------------------ */

enum op { OP_NONE = 0, OP_OPEN, OP_READ, OP_WRITE, OP_FORMAT, OP_QUOTE, OP_MEMORY, OP_BUCKET, OP_LIST, OP_STAT };
static const char *OP_NAMES[] = {"", "open", "read", "write", "format", "quote", "memory", "bucket", "list", "stat"};

typedef struct {
  int op;
  int err;          /* errno */
  double index;     /* which file of a list, or which run */
} failure_t;

static void fail(failure_t *f, int op, int err, double index) {
  if (f->op) return;
  f->op = op;
  f->err = err;
  f->index = index;
}

/* ---- runs: "PVNTRUN1" | 256 x u64 big-endian counts | hashes grouped by first byte (bucket-file.ts) -------- */

#define BUCKETS 256
#define RUN_HEADER (8 + BUCKETS * 8)
static const char RUN_MAGIC[8] = {'P', 'V', 'N', 'T', 'R', 'U', 'N', '1'};

static int write_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n > (1 << 30) ? (1 << 30) : n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Writes digests (any order) as a run, to `<path>.tmp` then renamed: a run exists whole or not at all. */
static void write_run(const char *path, const uint8_t *digests, size_t n, failure_t *f) {
  uint64_t counts[BUCKETS] = {0}, at[BUCKETS];
  for (size_t i = 0; i < n; i++) counts[digests[i * 32]]++;
  uint8_t header[RUN_HEADER];
  memcpy(header, RUN_MAGIC, 8);
  uint64_t sum = 0;
  for (int b = 0; b < BUCKETS; b++) {
    for (int k = 0; k < 8; k++) header[8 + b * 8 + k] = (uint8_t)(counts[b] >> (56 - 8 * k));
    at[b] = sum;
    sum += counts[b];
  }
  if (reserve(&tls_bucketed, n * 32 + 1)) return fail(f, OP_MEMORY, ENOMEM, 0);
  uint8_t *body = tls_bucketed.p;
  for (size_t i = 0; i < n; i++) memcpy(body + 32 * at[digests[i * 32]]++, digests + i * 32, 32);
  size_t plen = strlen(path);
  char *tmp = malloc(plen + 5);
  if (!tmp) return fail(f, OP_MEMORY, ENOMEM, 0);
  memcpy(tmp, path, plen);
  memcpy(tmp + plen, ".tmp", 5);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  int err = fd < 0 ? errno : 0;
  if (!err) {
    err = write_all(fd, header, RUN_HEADER);
    if (!err) err = write_all(fd, body, n * 32);
    if (close(fd) != 0 && !err) err = errno;
  }
  if (!err && rename(tmp, path) != 0) err = errno;
  free(tmp);
  if (err) fail(f, OP_WRITE, err, 0);
}

/* ---- records: JSONL lines and CSV records of a byte range (encodings.ts hashRecordRange) ---------------- */

typedef struct {
  /* in */
  char *path;
  int csv;
  double start, end; /* end < 0: to the end of the file */
  int in_quotes;
  char *run_path;    /* NULL: return the digests in input order */
  /* out */
  size_t count;
  double empty, bytes;
  failure_t failure;
} records_job;

/* Records found in the read buffer and not hashed yet: hashed in a batch (two at a time) before it moves. */
static __thread bytes_t tls_spans;

static int push_span(const uint8_t *data, size_t len) {
  if (reserve(&tls_spans, tls_spans.len + sizeof(span_t))) return ENOMEM;
  span_t *sp = (span_t *)(tls_spans.p + tls_spans.len);
  sp->p = data;
  sp->len = len;
  tls_spans.len += sizeof(span_t);
  return 0;
}

/* Hashes the pending records onto the unit's digests, in order. */
static int flush_spans(void) {
  size_t n = tls_spans.len / sizeof(span_t);
  if (n == 0) return 0;
  tls_spans.len = 0;
  if (reserve(&tls_digests, tls_digests.len + 32 * n)) return ENOMEM;
  hash_spans((const span_t *)tls_spans.p, n, tls_digests.p + tls_digests.len);
  tls_digests.len += 32 * n;
  return 0;
}

typedef struct {
  const uint8_t *buf;
  double file_pos, end;
  int aligned, header_pending, done, err;
  double empty;
} emit_state;

/* One record ended at `to` (exclusive, before its '\n'); same decisions, same order as the JavaScript emit(). */
static inline void emit(emit_state *s, size_t from, size_t to) {
  if (!s->aligned) {
    s->aligned = 1; /* the tail of a record that started in the previous range */
    return;
  }
  if (s->end >= 0 && s->file_pos + (double)from >= s->end) {
    s->done = 1; /* starts in the next range */
    return;
  }
  size_t stop = to;
  if (stop > from && s->buf[stop - 1] == '\r') stop--;
  if (s->header_pending) {
    s->header_pending = 0;
    return;
  }
  if (stop == from) {
    s->empty++;
    return;
  }
  if (push_span(s->buf + from, stop - from)) s->err = ENOMEM;
}

static void hash_records(records_job *j) {
  tls_digests.len = 0;
  tls_spans.len = 0;
  int fd = open(j->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(&j->failure, OP_OPEN, errno, 0);
  if (reserve(&tls_read, 1 << 20)) {
    close(fd);
    return fail(&j->failure, OP_MEMORY, ENOMEM, 0);
  }
  /* Reading starts one byte early so a record starting exactly at `start` is seen to follow a line ending. */
  double origin = j->start > 0 ? j->start - 1 : 0;
  emit_state s = {.file_pos = origin, .end = j->end, .aligned = j->start == 0, .header_pending = j->csv && j->start == 0};
  int in_quotes = j->start > 0 ? j->in_quotes : 0;
  size_t rec = 0, end = 0, scan = 0;
  double bytes = 0;
  while (!s.done && !s.err) {
    if (end == tls_read.cap) {
      if (rec > 0) { /* slide the unfinished record to the front */
        memmove(tls_read.p, tls_read.p + rec, end - rec);
        end -= rec;
        scan -= rec;
        s.file_pos += (double)rec;
        rec = 0;
      } else if (reserve(&tls_read, tls_read.cap * 2)) { /* a record longer than the buffer */
        s.err = ENOMEM;
        break;
      }
    }
    ssize_t got = pread(fd, tls_read.p + end, tls_read.cap - end, (off_t)(s.file_pos + (double)end));
    if (got < 0) {
      if (errno == EINTR) continue;
      fail(&j->failure, OP_READ, errno, 0);
      break;
    }
    if (got == 0) break;
    end += (size_t)got;
    bytes += (double)got;
    const uint8_t *buf = s.buf = tls_read.p;
    if (!j->csv) {
      while (!s.done) {
        const uint8_t *nl = memchr(buf + scan, '\n', end - scan);
        if (!nl) {
          scan = end;
          break;
        }
        size_t at = (size_t)(nl - buf);
        emit(&s, rec, at);
        rec = scan = at + 1;
      }
    } else {
      for (; scan < end && !s.done; scan++) {
        uint8_t c = buf[scan];
        if (c == '"') in_quotes = !in_quotes;
        else if (c == '\n' && !in_quotes) {
          emit(&s, rec, scan);
          rec = scan + 1;
        }
      }
    }
    if (flush_spans()) s.err = ENOMEM; /* before the buffer slides or grows */
  }
  close(fd);
  if (s.err) fail(&j->failure, OP_MEMORY, s.err, 0);
  if (!j->failure.op && !s.done) {
    if (j->csv && in_quotes) fail(&j->failure, OP_QUOTE, 0, 0);
    else if (end > rec) {
      s.buf = tls_read.p;
      emit(&s, rec, end);
      if (!s.err && flush_spans()) s.err = ENOMEM;
      if (s.err) fail(&j->failure, OP_MEMORY, s.err, 0);
    }
  }
  tls_spans.len = 0; /* a job that failed midway leaves none for the next */
  j->count = tls_digests.len / 32;
  j->empty = s.empty;
  j->bytes = bytes;
  if (!j->failure.op && j->run_path) write_run(j->run_path, tls_digests.p, j->count, &j->failure);
}

/* ---- files: a unit's list of "<size>:<relative path>" entries joined by NUL (plan.ts) ------------------- */

/* Files over 1 MiB stream through a 256 KiB buffer that stays in the core's cache: reading a big file whole,
   or in 16 MiB chunks, copied it out of the page cache into DRAM and read it back (4 x 128 MiB: 0.30 -> 0.22 s). */
#define LARGE_FILE (1ull << 20)
#define STREAM_CHUNK (256u << 10)

typedef struct {
  uint8_t *root;
  size_t root_len;
  uint8_t *list;
  size_t list_len;
  char *run_path;
  size_t count;
  double bytes;
  failure_t failure;
} files_job;

/* Hashes one open file, whole if small, streamed if larger than LARGE_FILE. Returns errno or 0. */
static int hash_fd(int fd, uint64_t size, uint8_t out[32], double *bytes) {
  if (size > LARGE_FILE) {
    if (reserve(&tls_read, STREAM_CHUNK)) return ENOMEM;
    sha256_ctx_space ctx;
    SHA256_Init(&ctx);
    int err = 0;
    for (;;) {
      ssize_t got = read(fd, tls_read.p, STREAM_CHUNK);
      if (got < 0) {
        if (errno == EINTR) continue;
        err = errno;
        break;
      }
      if (got == 0) break;
      SHA256_Update(&ctx, tls_read.p, (size_t)got);
      *bytes += (double)got;
    }
    SHA256_Final(out, &ctx);
    return err;
  }
  /* One read call in the common case: the buffer has room for one byte more than the size the plan saw. */
  if (reserve(&tls_read, size + 1)) return ENOMEM;
  size_t have = 0;
  for (;;) {
    size_t want = tls_read.cap - have;
    ssize_t got = read(fd, tls_read.p + have, want);
    if (got < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    have += (size_t)got;
    if ((size_t)got < want) break; /* a regular file reads short only at its end */
    if (have == tls_read.cap && reserve(&tls_read, tls_read.cap * 2)) return ENOMEM;
  }
  sha256(tls_read.p, have, out);
  *bytes += (double)have;
  return 0;
}

static void hash_files(files_job *j) {
  tls_digests.len = 0;
  char *path = NULL, *dir = NULL;
  size_t path_cap = 0, dir_len = 0, dir_cap = 0;
  int dirfd = -1;
  size_t index = 0;
  for (size_t at = 0; at < j->list_len; index++) {
    const uint8_t *entry = j->list + at;
    const uint8_t *nul = memchr(entry, 0, j->list_len - at);
    size_t len = nul ? (size_t)(nul - entry) : j->list_len - at;
    at += len + 1;
    const uint8_t *colon = memchr(entry, ':', len);
    uint64_t size = 0;
    int ok = colon != NULL && colon > entry;
    for (const uint8_t *c = entry; ok && c < colon; c++) {
      if (*c < '0' || *c > '9') ok = 0;
      else size = size * 10 + (uint64_t)(*c - '0');
    }
    if (!ok) {
      fail(&j->failure, OP_FORMAT, EINVAL, (double)index);
      break;
    }
    size_t rel = len - (size_t)(colon + 1 - entry);
    if (j->root_len + rel + 1 > path_cap) {
      path_cap = (j->root_len + rel + 1) * 2;
      char *p = realloc(path, path_cap);
      if (!p) {
        fail(&j->failure, OP_MEMORY, ENOMEM, (double)index);
        break;
      }
      path = p;
    }
    memcpy(path, j->root, j->root_len);
    memcpy(path + j->root_len, colon + 1, rel);
    size_t full = j->root_len + rel;
    path[full] = 0;
    /* Opened relative to its directory, kept open while the list stays in it (walk order keeps a directory's
     * files together): the kernel then resolves one name, not every component of the path, and two threads
     * opening files of one directory contend less. The directory is opened O_PATH (search permission only, as
     * a whole-path open needs); when that fails, or the path is too long to open whole, the whole-path open
     * runs and fails with its own error. */
    size_t slash = full;
    while (path[slash - 1] != '/') slash--;
    if (slash != dir_len || memcmp(dir, path, slash) != 0) {
      if (dirfd >= 0) close(dirfd);
      char keep = path[slash];
      path[slash] = 0;
      dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
      path[slash] = keep;
      if (slash > dir_cap) {
        char *d = realloc(dir, slash * 2);
        if (!d) {
          fail(&j->failure, OP_MEMORY, ENOMEM, (double)index);
          break;
        }
        dir = d;
        dir_cap = slash * 2;
      }
      memcpy(dir, path, slash);
      dir_len = slash;
    }
    int fd = dirfd >= 0 && full < PATH_MAX ? openat(dirfd, path + slash, O_RDONLY | O_CLOEXEC) : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      fail(&j->failure, OP_OPEN, errno, (double)index);
      break;
    }
    if (reserve(&tls_digests, tls_digests.len + 32)) {
      close(fd);
      fail(&j->failure, OP_MEMORY, ENOMEM, (double)index);
      break;
    }
    int err = hash_fd(fd, size, tls_digests.p + tls_digests.len, &j->bytes);
    close(fd);
    if (err) {
      fail(&j->failure, err == ENOMEM ? OP_MEMORY : OP_READ, err, (double)index);
      break;
    }
    tls_digests.len += 32;
  }
  if (dirfd >= 0) close(dirfd);
  free(path);
  free(dir);
  j->count = tls_digests.len / 32;
  if (!j->failure.op && j->run_path) write_run(j->run_path, tls_digests.p, j->count, &j->failure);
}

/* ---- walk: a files dataset's entries, exactly as walkFiles in encodings.ts lists them ------------------- */

/*
 * Depth first, each directory's entries in byte order of their names; regular files are samples (with their
 * sizes, so planning needs no second pass of stat calls), every other entry is skipped with a reason in the
 * order of SKIP_REASONS (skipped.ts): a name starting with '.' is hidden (a hidden directory is skipped whole),
 * then symlink (never followed), fifo, socket, device, other. A directory that cannot be listed stops the walk.
 * Like the JavaScript walk, types come from the directory entry, and from lstat only where the file system
 * leaves them unknown.
 */
static int push_bytes(bytes_t *b, const void *p, size_t n) {
  if (reserve(b, b->len + n)) return ENOMEM;
  memcpy(b->p + b->len, p, n);
  b->len += n;
  return 0;
}

enum { SKIP_HIDDEN, SKIP_SYMLINK, SKIP_FIFO, SKIP_SOCKET, SKIP_DEVICE, SKIP_OTHER };

typedef struct {
  /* in: the directory, absolute, ending in '/' */
  uint8_t *root;
  size_t root_len;
  /* out */
  bytes_t names;   /* regular files' paths relative to root, each ended by a NUL */
  bytes_t sizes;   /* their sizes, one double each */
  bytes_t skipped; /* skipped entries' relative paths, each ended by a NUL */
  bytes_t reasons; /* their reasons, one byte each */
  size_t files;
  bytes_t path;    /* root + the relative path of the directory being listed, NUL-terminated */
  failure_t failure;      /* list (fail_path names the directory) or memory: the walk stopped */
  bytes_t fail_path;
  failure_t stat_failure; /* the first file, in walk order, whose size could not be read (index: which) */
} walk_job;

/* The walk stops: a directory (w->path's first len bytes) could not be listed, or memory ran out. */
static void walk_fail(walk_job *w, int op, int err, size_t len) {
  if (w->failure.op) return;
  fail(&w->failure, op, err, 0);
  w->fail_path.len = 0;
  push_bytes(&w->fail_path, w->path.p, len);
}

typedef struct {
  size_t name;      /* offset of the name in the directory's arena */
  uint32_t len;
  uint8_t type;     /* DT_* */
  int err;          /* regular files: the stat's errno, or 0 */
  double size;
} walk_entry;

static __thread const uint8_t *tls_arena; /* the names entry_cmp compares: qsort takes no context */

static int entry_cmp(const void *a, const void *b) {
  const walk_entry *x = a, *y = b;
  uint32_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(tls_arena + x->name, tls_arena + y->name, n);
  return c ? c : (x->len > y->len) - (x->len < y->len);
}

static uint8_t type_of_mode(mode_t m) {
  if (S_ISREG(m)) return DT_REG;
  if (S_ISDIR(m)) return DT_DIR;
  if (S_ISLNK(m)) return DT_LNK;
  if (S_ISFIFO(m)) return DT_FIFO;
  if (S_ISSOCK(m)) return DT_SOCK;
  if (S_ISBLK(m)) return DT_BLK;
  if (S_ISCHR(m)) return DT_CHR;
  return DT_UNKNOWN;
}

static uint8_t skip_reason(uint8_t type) {
  switch (type) {
    case DT_LNK: return SKIP_SYMLINK;
    case DT_FIFO: return SKIP_FIFO;
    case DT_SOCK: return SKIP_SOCKET;
    case DT_BLK: case DT_CHR: return SKIP_DEVICE;
    default: return SKIP_OTHER;
  }
}

typedef struct {
  int dirfd;
  const uint8_t *names;
  walk_entry *entries;
  size_t from, to;
} stat_range;

/*
 * The size the plan records of each regular file (no symlink followed: the entry is a regular file). Errors
 * wait until the file's turn in the walk, where the JavaScript path's stat would meet them.
 */
static void *stat_entries(void *arg) {
  stat_range *r = arg;
  for (size_t i = r->from; i < r->to; i++) {
    walk_entry *e = &r->entries[i];
    const char *name = (const char *)r->names + e->name;
    if (name[0] == '.' || e->type != DT_REG) continue;
    struct stat st;
    if (fstatat(r->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) e->err = errno;
    else e->size = (double)st.st_size;
  }
  return NULL;
}

/* A stat costs about as much as listing the entry: a big directory's are split with another thread. */
#define STAT_SPLIT 4096

static void stat_files(int dirfd, const uint8_t *names, walk_entry *entries, size_t count) {
  stat_range all = {dirfd, names, entries, 0, count};
  pthread_t helper;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  if (count < STAT_SPLIT || cores < 2) {
    stat_entries(&all);
    return;
  }
  stat_range second = {dirfd, names, entries, count / 2, count};
  all.to = count / 2;
  int helped = pthread_create(&helper, NULL, stat_entries, &second) == 0;
  stat_entries(&all);
  if (helped) pthread_join(helper, NULL);
  else stat_entries(&second);
}

/* Lists w->path (len bytes, ending in '/') and everything under it. Returns 0, or -1 once the walk must stop. */
static int walk_dir(walk_job *w, size_t len) {
  int fd = open((const char *)w->path.p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd < 0 ? NULL : fdopendir(fd);
  if (!d) {
    int err = errno;
    if (fd >= 0) close(fd);
    walk_fail(w, OP_LIST, err, len);
    return -1;
  }
  bytes_t arena = {0}, list = {0};
  int err = 0;
  for (;;) {
    errno = 0;
    struct dirent *e = readdir(d);
    if (!e) {
      err = errno;
      break;
    }
    const char *name = e->d_name;
    if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
    size_t n = strlen(name);
    walk_entry entry = {.name = arena.len, .len = (uint32_t)n, .type = e->d_type};
    if (entry.type == DT_UNKNOWN) {
      /* What node's readdir does for such entries: lstat them; a failure fails the listing. */
      struct stat st;
      if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        err = errno;
        break;
      }
      entry.type = type_of_mode(st.st_mode);
    }
    if (push_bytes(&arena, name, n + 1) || push_bytes(&list, &entry, sizeof entry)) {
      err = ENOMEM;
      break;
    }
  }
  if (!err) stat_files(fd, arena.p, (walk_entry *)list.p, list.len / sizeof(walk_entry));
  closedir(d);
  if (err) {
    free(arena.p);
    free(list.p);
    walk_fail(w, err == ENOMEM ? OP_MEMORY : OP_LIST, err, len);
    return -1;
  }
  size_t count = list.len / sizeof(walk_entry);
  walk_entry *entries = (walk_entry *)list.p;
  tls_arena = arena.p;
  if (count > 1) qsort(entries, count, sizeof *entries, entry_cmp);
  int status = 0;
  for (size_t i = 0; i < count && status == 0; i++) {
    walk_entry *e = &entries[i];
    const uint8_t *name = arena.p + e->name;
    size_t rel = len - w->root_len;
    if (reserve(&w->path, len + e->len + 2)) {
      status = ENOMEM;
      break;
    }
    memcpy(w->path.p + len, name, e->len);
    const uint8_t *relpath = w->path.p + w->root_len;
    size_t rel_len = rel + e->len;
    if (name[0] == '.' || (e->type != DT_DIR && e->type != DT_REG)) {
      uint8_t reason = name[0] == '.' ? SKIP_HIDDEN : skip_reason(e->type), nul = 0;
      if (push_bytes(&w->skipped, relpath, rel_len) || push_bytes(&w->skipped, &nul, 1) || push_bytes(&w->reasons, &reason, 1)) status = ENOMEM;
    } else if (e->type == DT_DIR) {
      w->path.p[len + e->len] = '/';
      w->path.p[len + e->len + 1] = 0;
      if (walk_dir(w, len + e->len + 1)) status = -1;
    } else {
      uint8_t nul = 0;
      /* The JavaScript path stats the whole path, which the kernel refuses from PATH_MAX bytes on. */
      if (!e->err && len + e->len >= PATH_MAX) e->err = ENAMETOOLONG;
      if (e->err) fail(&w->stat_failure, OP_STAT, e->err, (double)w->files); /* the first in walk order wins */
      if (push_bytes(&w->names, relpath, rel_len) || push_bytes(&w->names, &nul, 1) || push_bytes(&w->sizes, &e->size, sizeof e->size))
        status = ENOMEM;
      w->files++;
    }
    /* Subdirectories may have grown the path buffer: restore this directory's path for the next entry. */
    w->path.p[len] = 0;
  }
  free(arena.p);
  free(list.p);
  if (status == ENOMEM) walk_fail(w, OP_MEMORY, ENOMEM, len);
  /* A stat failure does not stop the walk (a later directory that cannot be listed still wins, as in the
   * JavaScript path, which lists everything before it stats anything). */
  return status ? -1 : 0;
}

static void walk_files(walk_job *w) {
  if (reserve(&w->path, w->root_len + 4096)) return fail(&w->failure, OP_MEMORY, ENOMEM, 0);
  memcpy(w->path.p, w->root, w->root_len);
  w->path.p[w->root_len] = 0;
  walk_dir(w, w->root_len);
}

/* ---- merge: buckets [from, to) of every run, sorted and without duplicates (sort-unique.ts) ------------- */

typedef struct {
  char **paths;
  size_t runs;
  int from, to;
  /* The caller's buffer for the leaves (reused across ranges, so merging allocates nothing per range); without
   * one, `leaves` is malloc'd and handed to JavaScript. */
  uint8_t *into;
  size_t into_len;
  napi_ref into_ref;
  uint8_t *leaves;
  size_t count;
  failure_t failure;
} merge_job;

static __thread bytes_t tls_gather; /* one bucket from every run */

static inline int cmp32(const uint8_t *a, const uint8_t *b) { return memcmp(a, b, 32); }

static int cmp32_qsort(const void *a, const void *b) { return memcmp(a, b, 32); }

/*
 * Sorts n digests that share their first byte and drops duplicates, into out; returns how many remain.
 * A counting sort on the next bits (SHA-256 output is uniform) places each digest straight into its slot of
 * out, a few to a slot, finished by insertion sort: linear in practice. A crowded slot (bucket files can come
 * from elsewhere, `dataset combine`, and need not hold real digests) is sorted with qsort, so crafted input
 * costs n log n, not n squared. The same order as sortUniqueHashes(bucket, 1).
 */
static size_t sort_unique_bucket(const uint8_t *in, size_t n, uint8_t *out, uint32_t *starts) {
  if (n == 0) return 0;
  int bits = 1;
  while (bits < 16 && ((size_t)1 << bits) < n + 1) bits++;
  size_t slots = (size_t)1 << bits;
  memset(starts, 0, (slots + 1) * sizeof(uint32_t));
#define KEY(p) ((((uint32_t)(p)[1] << 8) | (p)[2]) >> (16 - bits))
  for (size_t i = 0; i < n; i++) starts[KEY(in + i * 32) + 1]++;
  for (size_t s = 0; s < slots; s++) starts[s + 1] += starts[s];
  for (size_t i = 0; i < n; i++) memcpy(out + (size_t)starts[KEY(in + i * 32)]++ * 32, in + i * 32, 32);
#undef KEY
  /* starts[s] now holds the end of slot s; slot s begins where slot s-1 ends */
  size_t begin = 0;
  uint8_t v[32];
  for (size_t s = 0; s < slots; s++) {
    size_t end = starts[s];
    if (end - begin > 16) {
      qsort(out + begin * 32, end - begin, 32, cmp32_qsort);
    } else {
      for (size_t k = begin + 1; k < end; k++) {
        if (cmp32(out + (k - 1) * 32, out + k * 32) <= 0) continue;
        memcpy(v, out + k * 32, 32);
        size_t m = k;
        while (m > begin && cmp32(out + (m - 1) * 32, v) > 0) {
          memcpy(out + m * 32, out + (m - 1) * 32, 32);
          m--;
        }
        memcpy(out + m * 32, v, 32);
      }
    }
    begin = end;
  }
  /* duplicates are now neighbours */
  size_t written = 1;
  for (size_t k = 1; k < n; k++) {
    if (cmp32(out + (written - 1) * 32, out + k * 32) == 0) continue;
    if (written != k) memcpy(out + written * 32, out + k * 32, 32);
    written++;
  }
  return written;
}

/*
 * Reads a run's header into counts[], refusing anything but a whole run: the right magic, and a size equal to
 * the header plus 32 bytes per counted hash. Run files can come from other machines (`dataset combine`), so the
 * counts are checked against the file before any size is computed from them.
 */
static int read_run_header(int fd, uint64_t counts[BUCKETS]) {
  uint8_t header[RUN_HEADER];
  struct stat st;
  if (fstat(fd, &st) != 0 || pread(fd, header, RUN_HEADER, 0) != RUN_HEADER || memcmp(header, RUN_MAGIC, 8) != 0) return 0;
  if (st.st_size < RUN_HEADER) return 0;
  uint64_t room = ((uint64_t)st.st_size - RUN_HEADER) / 32, sum = 0;
  for (int b = 0; b < BUCKETS; b++) {
    uint64_t c = 0;
    for (int k = 0; k < 8; k++) c = (c << 8) | header[8 + b * 8 + k];
    if (c > room - sum) return 0; /* more hashes than the file can hold, without overflowing */
    sum += c;
    counts[b] = c;
  }
  return (uint64_t)st.st_size == RUN_HEADER + sum * 32;
}

static void merge_buckets(merge_job *j) {
  uint64_t(*counts)[BUCKETS] = calloc(j->runs ? j->runs : 1, sizeof *counts);
  int *fds = malloc((j->runs ? j->runs : 1) * sizeof(int));
  uint32_t *starts = malloc(((1 << 16) + 1) * sizeof(uint32_t));
  if (!counts || !fds || !starts) {
    free(counts);
    free(fds);
    free(starts);
    return fail(&j->failure, OP_MEMORY, ENOMEM, 0);
  }
  size_t opened = 0;
  for (; opened < j->runs; opened++) {
    int fd = open(j->paths[opened], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      fail(&j->failure, OP_OPEN, errno, (double)opened);
      break;
    }
    fds[opened] = fd;
    if (!read_run_header(fd, counts[opened])) {
      fail(&j->failure, OP_FORMAT, 0, (double)opened);
      opened++;
      break;
    }
  }
  /* Every count now fits its file, so these sums are bounded by the bytes on disk. */
  size_t total = 0, biggest = 0;
  if (!j->failure.op) {
    for (int b = j->from; b < j->to; b++) {
      size_t sum = 0;
      for (size_t r = 0; r < j->runs; r++) sum += counts[r][b];
      total += sum;
      if (sum > biggest) biggest = sum;
    }
  }
  uint8_t *gathered = NULL, *out = NULL;
  if (!j->failure.op) {
    if (biggest > UINT32_MAX) fail(&j->failure, OP_MEMORY, ENOMEM, 0);
    else if (reserve(&tls_gather, biggest * 32 + 1)) fail(&j->failure, OP_MEMORY, ENOMEM, 0);
    else {
      gathered = tls_gather.p;
      if (j->into) out = total * 32 <= j->into_len ? j->into : NULL;
      else out = malloc(total * 32 + 1);
      if (!out) fail(&j->failure, OP_MEMORY, ENOMEM, 0);
    }
  }
  size_t written = 0;
  for (int b = j->from; b < j->to && !j->failure.op; b++) {
    size_t n = 0;
    for (size_t r = 0; r < j->runs && !j->failure.op; r++) {
      uint64_t off = RUN_HEADER;
      for (int c = 0; c < b; c++) off += counts[r][c] * 32;
      size_t len = counts[r][b] * 32, done = 0;
      uint8_t *dst = gathered + n * 32;
      while (done < len) {
        ssize_t got = pread(fds[r], dst + done, len - done, (off_t)(off + done));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
          fail(&j->failure, got < 0 ? OP_READ : OP_FORMAT, got < 0 ? errno : 0, (double)r);
          break;
        }
        done += (size_t)got;
      }
      /* A hash filed under another first byte would land out of order: the tree would not be sorted. */
      for (size_t i = 0; i < counts[r][b] && !j->failure.op; i++)
        if (dst[i * 32] != b) fail(&j->failure, OP_BUCKET, 0, (double)r);
      n += counts[r][b];
    }
    if (!j->failure.op) written += sort_unique_bucket(gathered, n, out + written * 32, starts);
  }
  for (size_t r = 0; r < opened; r++) close(fds[r]);
  free(counts);
  free(fds);
  free(starts);
  if (j->failure.op) {
    if (out != j->into) free(out);
    return;
  }
  j->leaves = out == j->into ? NULL : out;
  j->count = written;
}

/* ---- merkle-v1 root of sorted leaves: pairs left to right, an odd last node moves up unchanged (tree.ts) -- */

static __thread bytes_t tls_tree;

static int merkle_root(const uint8_t *leaves, size_t n, uint8_t root[32]) {
  if (n == 0) return EINVAL;
  if (reserve(&tls_tree, (n / 2 + 1) * 32)) return ENOMEM;
  const uint8_t *level = leaves;
  uint8_t *next = tls_tree.p;
  size_t width = n;
  while (width > 1) {
    /* Each level after the first is written over the scratch it is read from: node i lands at 32i, after
     * 64i..64i+63 were read. */
    size_t pairs = width / 2;
    hash_nodes(level, pairs, next);
    if (width % 2) memmove(next + 32 * pairs, level + 32 * (width - 1), 32);
    width = pairs + width % 2;
    level = next;
  }
  memcpy(root, level, 32);
  return 0;
}

/* ---- N-API glue ----------------------------------------------------------------------------------------- */

#define CHECK(call)                                                                                          \
  do {                                                                                                       \
    if ((call) != napi_ok) {                                                                                 \
      napi_throw_error(env, NULL, "provenant native: " #call " failed");                                    \
      return NULL;                                                                                           \
    }                                                                                                        \
  } while (0)

static char *get_string(napi_env env, napi_value v) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

static uint8_t *get_bytes(napi_env env, napi_value v, size_t *len) {
  void *data;
  size_t n;
  bool is_buffer = false;
  napi_is_buffer(env, v, &is_buffer);
  if (is_buffer) {
    if (napi_get_buffer_info(env, v, &data, &n) != napi_ok) return NULL;
  } else {
    napi_typedarray_type type;
    napi_value ab;
    size_t off;
    if (napi_get_typedarray_info(env, v, &type, &n, &data, &ab, &off) != napi_ok || type != napi_uint8_array) return NULL;
  }
  uint8_t *copy = malloc(n + 1);
  if (!copy) return NULL;
  memcpy(copy, data, n);
  *len = n;
  return copy;
}

static void set_number(napi_env env, napi_value obj, const char *key, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  napi_set_named_property(env, obj, key, v);
}

/*
 * A Buffer holding a copy of malloc'd bytes, which are freed. A copy, not an external buffer: V8 counts its own
 * buffers toward garbage collection, so merged ranges are freed as they are used (external ones were not, and a
 * 100M-leaf merge held 3 GB).
 */
static napi_value take_buffer(napi_env env, uint8_t *p, size_t len) {
  napi_value buf;
  napi_create_buffer_copy(env, len, len ? (void *)p : (void *)"", NULL, &buf);
  free(p);
  return buf;
}

static napi_value failure_value(napi_env env, const failure_t *f) {
  napi_value obj, s;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, OP_NAMES[f->op], NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, obj, "op", s);
  set_number(env, obj, "errno", f->err);
  set_number(env, obj, "index", f->index);
  return obj;
}

typedef struct {
  uint8_t *leaves;
  size_t n;
  uint8_t root[32];
  int err;
  napi_ref borrowed; /* leaves are the caller's bytes, held until the job completes (not a copy) */
} tree_job;

/* One message's SHA-256, read in place (the caller's bytes, held until the job completes). */
typedef struct {
  const uint8_t *data;
  size_t len;
  uint8_t digest[32];
  napi_ref borrowed;
} digest_job;

typedef enum { JOB_RECORDS, JOB_FILES, JOB_MERGE, JOB_TREE, JOB_DIGEST } job_kind;

typedef struct {
  job_kind kind;
  union {
    records_job records;
    files_job files;
    merge_job merge;
    tree_job tree;
    digest_job digest;
  } u;
  napi_async_work work;
  napi_deferred deferred;
  /* digests in input order, copied out of the thread's buffer when no run file is written */
  uint8_t *digests;
  size_t digests_len;
} job_t;

static void job_execute(job_t *job) {
  switch (job->kind) {
    case JOB_RECORDS: hash_records(&job->u.records); break;
    case JOB_FILES: hash_files(&job->u.files); break;
    case JOB_MERGE: merge_buckets(&job->u.merge); break;
    case JOB_TREE: job->u.tree.err = merkle_root(job->u.tree.leaves, job->u.tree.n, job->u.tree.root); break;
    case JOB_DIGEST: sha256(job->u.digest.data, job->u.digest.len, job->u.digest.digest); break;
  }
  int wants_digests = (job->kind == JOB_RECORDS && !job->u.records.run_path) || (job->kind == JOB_FILES && !job->u.files.run_path);
  if (wants_digests) {
    job->digests_len = tls_digests.len;
    job->digests = malloc(tls_digests.len + 1);
    if (job->digests) memcpy(job->digests, tls_digests.p ? tls_digests.p : (uint8_t *)"", tls_digests.len);
  }
}

static napi_value job_result(napi_env env, job_t *job) {
  napi_value obj;
  napi_create_object(env, &obj);
  const failure_t *f = NULL;
  switch (job->kind) {
    case JOB_RECORDS:
      f = &job->u.records.failure;
      set_number(env, obj, "count", (double)job->u.records.count);
      set_number(env, obj, "emptyRecords", job->u.records.empty);
      set_number(env, obj, "bytes", job->u.records.bytes);
      break;
    case JOB_FILES:
      f = &job->u.files.failure;
      set_number(env, obj, "count", (double)job->u.files.count);
      set_number(env, obj, "bytes", job->u.files.bytes);
      break;
    case JOB_MERGE:
      f = &job->u.merge.failure;
      set_number(env, obj, "count", (double)job->u.merge.count);
      if (job->u.merge.leaves) {
        napi_set_named_property(env, obj, "leaves", take_buffer(env, job->u.merge.leaves, job->u.merge.count * 32));
        job->u.merge.leaves = NULL;
      }
      break;
    case JOB_DIGEST: {
      napi_value digest;
      napi_create_buffer_copy(env, 32, job->u.digest.digest, NULL, &digest);
      return digest;
    }
    case JOB_TREE: {
      static const failure_t none = {0}, memory = {OP_MEMORY, ENOMEM, 0};
      f = job->u.tree.err ? &memory : &none;
      napi_value root;
      napi_create_buffer_copy(env, 32, job->u.tree.root, NULL, &root);
      napi_set_named_property(env, obj, "root", root);
      break;
    }
  }
  if (job->digests) {
    napi_set_named_property(env, obj, "digests", take_buffer(env, job->digests, job->digests_len));
    job->digests = NULL;
  }
  if (f->op) napi_set_named_property(env, obj, "failure", failure_value(env, f));
  return obj;
}

static void job_free(job_t *job) {
  switch (job->kind) {
    case JOB_RECORDS:
      free(job->u.records.path);
      free(job->u.records.run_path);
      break;
    case JOB_FILES:
      free(job->u.files.root);
      free(job->u.files.list);
      free(job->u.files.run_path);
      break;
    case JOB_MERGE:
      for (size_t r = 0; r < job->u.merge.runs; r++) free(job->u.merge.paths[r]);
      free(job->u.merge.paths);
      free(job->u.merge.leaves);
      break;
    case JOB_TREE:
      if (!job->u.tree.borrowed) free(job->u.tree.leaves);
      break;
    case JOB_DIGEST:
      break;
  }
  free(job->digests);
  free(job);
}

/*
 * Hashing threads run as SCHED_BATCH: CPU-bound work that does not preempt the thread it was woken by. On a
 * machine with few cores, every job queued by the main thread (a shard tree, a digest) otherwise woke a pool
 * thread that took the main thread's core, and the main thread (which cuts, names and stores shards) is the
 * merge's critical path. Batch threads still get their fair share of the CPU.
 */
static __thread int batch_set;

static void async_execute(napi_env env, void *data) {
  (void)env;
#ifdef SCHED_BATCH
  if (!batch_set) {
    struct sched_param none = {0};
    sched_setscheduler(0, SCHED_BATCH, &none); /* best effort: this thread only */
    batch_set = 1;
  }
#endif
  job_execute(data);
}

static void async_complete(napi_env env, napi_status status, void *data) {
  job_t *job = data;
  napi_value result;
  if (status == napi_ok) {
    result = job_result(env, job);
    napi_resolve_deferred(env, job->deferred, result);
  } else {
    napi_value msg;
    napi_create_string_utf8(env, "provenant native: a hashing job was cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &result);
    napi_reject_deferred(env, job->deferred, result);
  }
  napi_delete_async_work(env, job->work);
  if (job->kind == JOB_MERGE && job->u.merge.into_ref) napi_delete_reference(env, job->u.merge.into_ref);
  if (job->kind == JOB_TREE && job->u.tree.borrowed) napi_delete_reference(env, job->u.tree.borrowed);
  if (job->kind == JOB_DIGEST) napi_delete_reference(env, job->u.digest.borrowed);
  job_free(job);
}

/* Runs the job now (sync) or on the thread pool (returns a Promise). */
static napi_value run_job(napi_env env, job_t *job, bool async) {
  if (!async) {
    job_execute(job);
    napi_value result = job_result(env, job);
    job_free(job);
    return result;
  }
  napi_value promise, name;
  CHECK(napi_create_promise(env, &job->deferred, &promise));
  CHECK(napi_create_string_utf8(env, "provenant-hash", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, async_execute, async_complete, job, &job->work));
  CHECK(napi_queue_async_work(env, job->work));
  return promise;
}

static bool get_bool(napi_env env, napi_value v) {
  bool b = false;
  napi_get_value_bool(env, v, &b);
  return b;
}

static double get_double(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return d;
}

static char *get_optional_string(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  return t == napi_string ? get_string(env, v) : NULL;
}

/* hashRecords(path, csv, start, end (-1: to the end), inQuotes, runPath | null, async) */
static napi_value js_hash_records(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 7) {
    napi_throw_type_error(env, NULL, "hashRecords: 7 arguments");
    return NULL;
  }
  job_t *job = calloc(1, sizeof *job);
  if (!job) return NULL;
  job->kind = JOB_RECORDS;
  records_job *r = &job->u.records;
  r->path = get_string(env, argv[0]);
  r->csv = get_bool(env, argv[1]);
  r->start = get_double(env, argv[2]);
  r->end = get_double(env, argv[3]);
  r->in_quotes = get_bool(env, argv[4]);
  r->run_path = get_optional_string(env, argv[5]);
  if (!r->path) {
    job_free(job);
    napi_throw_type_error(env, NULL, "hashRecords: path must be a string");
    return NULL;
  }
  return run_job(env, job, get_bool(env, argv[6]));
}

/* hashFiles(root: Uint8Array, list: Uint8Array, runPath | null, async) */
static napi_value js_hash_files(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "hashFiles: 4 arguments");
    return NULL;
  }
  job_t *job = calloc(1, sizeof *job);
  if (!job) return NULL;
  job->kind = JOB_FILES;
  files_job *f = &job->u.files;
  f->root = get_bytes(env, argv[0], &f->root_len);
  f->list = get_bytes(env, argv[1], &f->list_len);
  f->run_path = get_optional_string(env, argv[2]);
  if (!f->root || !f->list) {
    job_free(job);
    napi_throw_type_error(env, NULL, "hashFiles: root and list must be Uint8Arrays");
    return NULL;
  }
  return run_job(env, job, get_bool(env, argv[3]));
}

/* mergeBuckets(paths: string[], from, to, async, into?: Buffer) */
static napi_value js_merge_buckets(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t n = 0;
  if (argc < 4 || napi_get_array_length(env, argv[0], &n) != napi_ok) {
    napi_throw_type_error(env, NULL, "mergeBuckets: (paths[], from, to, async)");
    return NULL;
  }
  job_t *job = calloc(1, sizeof *job);
  if (!job) return NULL;
  job->kind = JOB_MERGE;
  merge_job *m = &job->u.merge;
  m->paths = calloc(n ? n : 1, sizeof(char *));
  m->runs = n;
  for (uint32_t i = 0; i < n && m->paths; i++) {
    napi_value v;
    napi_get_element(env, argv[0], i, &v);
    m->paths[i] = get_string(env, v);
    if (!m->paths[i]) {
      job_free(job);
      napi_throw_type_error(env, NULL, "mergeBuckets: paths must be strings");
      return NULL;
    }
  }
  m->from = (int)get_double(env, argv[1]);
  m->to = (int)get_double(env, argv[2]);
  if (!m->paths || m->from < 0 || m->to > BUCKETS || m->from > m->to) {
    job_free(job);
    napi_throw_range_error(env, NULL, "mergeBuckets: buckets must satisfy 0 <= from <= to <= 256");
    return NULL;
  }
  bool async = get_bool(env, argv[3]), is_buffer = false;
  if (argc >= 5 && napi_is_buffer(env, argv[4], &is_buffer) == napi_ok && is_buffer) {
    void *data;
    if (napi_get_buffer_info(env, argv[4], &data, &m->into_len) != napi_ok) {
      job_free(job);
      return NULL;
    }
    m->into = data;
    /* Held until the job completes, so the garbage collector cannot free the buffer the thread writes. */
    if (async && napi_create_reference(env, argv[4], 1, &m->into_ref) != napi_ok) {
      job_free(job);
      return NULL;
    }
  }
  return run_job(env, job, async);
}

/*
 * treeRoot(leaves: Uint8Array (n x 32 bytes, n >= 1), async, borrow?): the merkle-v1 root, as buildLevels computes
 * it. The leaves are copied at the call, so the caller may reuse its buffer at once; with `borrow` (async only)
 * they are read in place, and the caller leaves them alone until the promise settles (no 2 MiB copy and no
 * fresh memory to touch per shard).
 */
static napi_value js_tree_root(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool async = argc >= 2 && get_bool(env, argv[1]), borrow = async && argc >= 3 && get_bool(env, argv[2]);
  size_t len = 0;
  uint8_t *leaves = NULL;
  if (argc >= 2 && borrow) {
    napi_typedarray_type type;
    napi_value ab;
    size_t off;
    void *data;
    if (napi_get_typedarray_info(env, argv[0], &type, &len, &data, &ab, &off) == napi_ok && type == napi_uint8_array) leaves = data;
  } else if (argc >= 2) {
    leaves = get_bytes(env, argv[0], &len);
  }
  if (!leaves || len == 0 || len % 32) {
    if (!borrow) free(leaves);
    napi_throw_range_error(env, NULL, "treeRoot: leaves must be one or more whole 32-byte hashes");
    return NULL;
  }
  job_t *job = calloc(1, sizeof *job);
  if (!job) {
    if (!borrow) free(leaves);
    return NULL;
  }
  job->kind = JOB_TREE;
  job->u.tree.leaves = leaves;
  job->u.tree.n = len / 32;
  /* Held until the job completes, so the garbage collector cannot free the bytes the thread reads. */
  if (borrow && napi_create_reference(env, argv[0], 1, &job->u.tree.borrowed) != napi_ok) {
    free(job);
    return NULL;
  }
  return run_job(env, job, async);
}

/* A Buffer holding a copy of b's bytes; b is freed. */
static napi_value take_bytes(napi_env env, bytes_t *b) {
  napi_value v = take_buffer(env, b->p, b->len);
  b->p = NULL;
  b->len = b->cap = 0;
  return v;
}

/*
 * walkFiles(root: Uint8Array, the directory's absolute path ending in '/'): {files, names, sizes, skipped,
 * reasons, failure?}. Synchronous: planning waits for the walk anyway. names and skipped are relative paths each
 * ended by a NUL, sizes one float64 per file, reasons one byte per skipped entry (an index into SKIP_REASONS).
 * failure: {op: "list", errno, path} (the walk stopped there) or {op: "stat", errno, index} (a file's size).
 */
static napi_value js_walk_files(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  walk_job w = {0};
  w.root = argc >= 1 ? get_bytes(env, argv[0], &w.root_len) : NULL;
  if (!w.root || w.root_len == 0 || w.root[0] != '/' || w.root[w.root_len - 1] != '/' || memchr(w.root, 0, w.root_len)) {
    free(w.root);
    napi_throw_type_error(env, NULL, "walkFiles: an absolute directory path ending in '/'");
    return NULL;
  }
  walk_files(&w);
  napi_value obj;
  CHECK(napi_create_object(env, &obj));
  set_number(env, obj, "files", (double)w.files);
  napi_set_named_property(env, obj, "names", take_bytes(env, &w.names));
  napi_set_named_property(env, obj, "sizes", take_bytes(env, &w.sizes));
  napi_set_named_property(env, obj, "skipped", take_bytes(env, &w.skipped));
  napi_set_named_property(env, obj, "reasons", take_bytes(env, &w.reasons));
  const failure_t *f = w.failure.op ? &w.failure : w.stat_failure.op ? &w.stat_failure : NULL;
  if (f) {
    napi_value fv = failure_value(env, f);
    if (f == &w.failure) napi_set_named_property(env, fv, "path", take_bytes(env, &w.fail_path));
    napi_set_named_property(env, obj, "failure", fv);
  }
  free(w.root);
  free(w.path.p);
  free(w.fail_path.p);
  return obj;
}

/*
 * sha256(data, async?): one message. Synchronous (the tests check the C side's hashing against node:crypto with
 * it), or on the thread pool reading the bytes in place: the caller leaves them alone until the promise settles.
 */
static napi_value js_sha256(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc >= 2 && get_bool(env, argv[1])) {
    napi_typedarray_type type;
    napi_value ab;
    size_t off, len;
    void *data;
    if (napi_get_typedarray_info(env, argv[0], &type, &len, &data, &ab, &off) != napi_ok || type != napi_uint8_array) {
      napi_throw_type_error(env, NULL, "sha256: a Uint8Array");
      return NULL;
    }
    job_t *job = calloc(1, sizeof *job);
    if (!job) return NULL;
    job->kind = JOB_DIGEST;
    job->u.digest.data = len ? data : (const uint8_t *)"";
    job->u.digest.len = len;
    if (napi_create_reference(env, argv[0], 1, &job->u.digest.borrowed) != napi_ok) {
      free(job);
      return NULL;
    }
    return run_job(env, job, true);
  }
  size_t len = 0;
  uint8_t *data = argc >= 1 ? get_bytes(env, argv[0], &len) : NULL;
  if (!data) {
    napi_throw_type_error(env, NULL, "sha256: a Uint8Array");
    return NULL;
  }
  uint8_t out[32];
  sha256(data, len, out);
  free(data);
  napi_value buf;
  CHECK(napi_create_buffer_copy(env, 32, out, NULL, &buf));
  return buf;
}

/*
 * sha256Many(data, ends): the SHA-256 of each message data[ends[i-1], ends[i]) (ends[-1] = 0), as count x 32
 * bytes, in one call and two at a time with the SHA extensions: a Parquet row group's canonical rows, which cost
 * node:crypto a call of about a microsecond each. Reads both arrays in place (the call is synchronous).
 */
static napi_value js_sha256_many(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_typedarray_type dtype = napi_int8_array, etype = napi_int8_array;
  napi_value ab;
  size_t off, len = 0, count = 0;
  void *data = NULL, *ends = NULL;
  if (argc < 2 || napi_get_typedarray_info(env, argv[0], &dtype, &len, &data, &ab, &off) != napi_ok || dtype != napi_uint8_array ||
      napi_get_typedarray_info(env, argv[1], &etype, &count, &ends, &ab, &off) != napi_ok || etype != napi_uint32_array) {
    napi_throw_type_error(env, NULL, "sha256Many: a Uint8Array and a Uint32Array of message ends");
    return NULL;
  }
  const uint32_t *e = (const uint32_t *)ends;
  for (size_t i = 0; i < count; i++)
    if (e[i] > len || (i > 0 && e[i] < e[i - 1])) {
      napi_throw_range_error(env, NULL, "sha256Many: the ends must rise and stay within the data");
      return NULL;
    }
  span_t *spans = malloc((count ? count : 1) * sizeof *spans);
  uint8_t *out = malloc(count ? 32 * count : 1);
  if (!spans || !out) {
    free(spans);
    free(out);
    napi_throw_error(env, NULL, "sha256Many: out of memory");
    return NULL;
  }
  const uint8_t *base = len ? (const uint8_t *)data : (const uint8_t *)"";
  for (size_t i = 0; i < count; i++) {
    size_t from = i ? e[i - 1] : 0;
    spans[i].p = base + from;
    spans[i].len = e[i] - from;
  }
  hash_spans(spans, count, out);
  free(spans);
  return take_buffer(env, out, 32 * count);
}

static napi_value init(napi_env env, napi_value exports) {
  shani_setup();
  napi_property_descriptor props[] = {
      {"hashRecords", NULL, js_hash_records, NULL, NULL, NULL, napi_default, NULL},
      {"hashFiles", NULL, js_hash_files, NULL, NULL, NULL, napi_default, NULL},
      {"mergeBuckets", NULL, js_merge_buckets, NULL, NULL, NULL, napi_default, NULL},
      {"sha256", NULL, js_sha256, NULL, NULL, NULL, napi_default, NULL},
      {"sha256Many", NULL, js_sha256_many, NULL, NULL, NULL, napi_default, NULL},
      {"treeRoot", NULL, js_tree_root, NULL, NULL, NULL, napi_default, NULL},
      {"walkFiles", NULL, js_walk_files, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof *props, props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

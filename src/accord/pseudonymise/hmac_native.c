/*
 * HMAC-SHA256 over many short values, for Accord's pseudonymisation fast path.
 *
 * SHA-256 as specified in FIPS 180-4; HMAC as in RFC 2104. The caller passes the two
 * 64-byte pads (key XOR 0x36, key XOR 0x5c); their compressed states are computed once
 * and each value then costs one compression on each side (values up to 55 bytes).
 * Pure C with no library, so it builds wherever a C compiler does. The loader in
 * native.py compiles it on first use and falls back to the Python kernel otherwise.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>

/*
 * Where the process has OpenSSL's libcrypto loaded (CPython's hashlib loads it), its
 * SHA-256 block code is used for long messages: it runs on the CPU's SHA extensions.
 * The low-level SHA256_Init/Update/Final calls avoid the EVP layer's per-call cost. The
 * context is opaque here (OpenSSL's is 112 bytes); nothing else of OpenSSL is assumed.
 */
typedef int (*sha_init_fn)(void *);
typedef int (*sha_update_fn)(void *, const void *, size_t);
typedef int (*sha_final_fn)(unsigned char *, void *);
typedef void (*sha_transform_fn)(void *, const unsigned char *);
static sha_init_fn ssl_init;
static sha_transform_fn ssl_transform;
static sha_update_fn ssl_update;
static sha_final_fn ssl_final;
static int ssl_tried;

static void find_openssl(void) {
    if (ssl_tried) return;
    ssl_tried = 1;
    void *lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_NOLOAD);
    if (!lib) lib = dlopen("libcrypto.so.3", RTLD_NOW);
    if (!lib) return;
    ssl_init = (sha_init_fn)dlsym(lib, "SHA256_Init");
    ssl_update = (sha_update_fn)dlsym(lib, "SHA256_Update");
    ssl_final = (sha_final_fn)dlsym(lib, "SHA256_Final");
    if (!ssl_init || !ssl_update || !ssl_final) ssl_init = 0;
    ssl_transform = (sha_transform_fn)dlsym(lib, "SHA256_Transform");
}

/* Whether this build found OpenSSL's SHA-256, for the loader's tests and reports. */
int accord_uses_openssl(void) {
    find_openssl();
    return ssl_init != 0;
}

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static const uint32_t IV[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void compress(uint32_t s[8], const uint8_t block[64]) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++) {
        w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16 |
               (uint32_t)block[4 * i + 2] << 8 | (uint32_t)block[4 * i + 3];
    }
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    s[0] += a; s[1] += b; s[2] += c; s[3] += d; s[4] += e; s[5] += f; s[6] += g; s[7] += h;
}

/*
 * One compression, by OpenSSL's block function where it was found (SHA extensions, about
 * four times the portable code), else by compress(). OpenSSL's SHA256_CTX is public
 * (openssl/sha.h) and begins with the eight state words; SHA256_Transform compresses one
 * block into them and touches nothing else that matters here.
 */
typedef struct {
    uint32_t h[8];
    uint32_t nl, nh;
    uint32_t data[16];
    unsigned int num, md_len;
} ssl_sha256_ctx;

static inline void compress_block(uint32_t s[8], const uint8_t block[64]) {
    if (ssl_transform) {
        ssl_sha256_ctx context;
        memcpy(context.h, s, sizeof context.h);
        ssl_transform(&context, block);
        memcpy(s, context.h, sizeof context.h);
        return;
    }
    compress(s, block);
}

/* Hash `len` bytes of `msg` continuing from `state`, which has absorbed one 64-byte block. */
static void finish(const uint32_t start[8], const uint8_t *msg, int64_t len, uint8_t out[32]) {
    uint32_t s[8];
    uint8_t block[64];
    memcpy(s, start, sizeof s);
    int64_t i = 0;
    for (; i + 64 <= len; i += 64) compress_block(s, msg + i);
    int64_t rest = len - i;
    memset(block, 0, 64);
    memcpy(block, msg + i, (size_t)rest);
    block[rest] = 0x80;
    if (rest >= 56) {
        compress_block(s, block);
        memset(block, 0, 64);
    }
    uint64_t bits = (uint64_t)(64 + len) * 8;
    for (int j = 0; j < 8; j++) block[63 - j] = (uint8_t)(bits >> (8 * j));
    compress_block(s, block);
    for (int j = 0; j < 8; j++) {
        out[4 * j] = (uint8_t)(s[j] >> 24);
        out[4 * j + 1] = (uint8_t)(s[j] >> 16);
        out[4 * j + 2] = (uint8_t)(s[j] >> 8);
        out[4 * j + 3] = (uint8_t)s[j];
    }
}

static const char HEX[] = "0123456789abcdef";

static void hmac_states(const uint8_t ipad[64], const uint8_t opad[64], uint32_t inner[8],
                        uint32_t outer[8]) {
    find_openssl();
    memcpy(inner, IV, 8 * sizeof(uint32_t));
    memcpy(outer, IV, 8 * sizeof(uint32_t));
    compress_block(inner, ipad);
    compress_block(outer, opad);
}

/*
 * For i in [0, n): out[64 i .. 64 i + 64) = lowercase hex of
 * HMAC(key, data[offsets[i] .. offsets[i + 1])): the pseudonym exactly as it is stored, so
 * no pass over the digests is needed afterwards.
 */
void accord_hmac_sha256_hex_many(const uint8_t ipad[64], const uint8_t opad[64],
                                 const uint8_t *data, const int64_t *offsets, int64_t n,
                                 uint8_t *out) {
    uint32_t inner[8], outer[8];
    hmac_states(ipad, opad, inner, outer);
    uint8_t digest[32], mac[32];
    for (int64_t i = 0; i < n; i++) {
        finish(inner, data + offsets[i], offsets[i + 1] - offsets[i], digest);
        finish(outer, digest, 32, mac);
        uint8_t *hex = out + 64 * i;
        for (int j = 0; j < 32; j++) {
            hex[2 * j] = (uint8_t)HEX[mac[j] >> 4];
            hex[2 * j + 1] = (uint8_t)HEX[mac[j] & 15];
        }
    }
}


/* SHA-256 of a whole message, by OpenSSL where it was found, else by compress(). */
static void sha256(const uint32_t iv[8], const uint8_t *p, int64_t len, uint8_t digest[32]) {
    if (ssl_init) {
        unsigned char context[256];
        ssl_init(context);
        ssl_update(context, p, (size_t)len);
        ssl_final(digest, context);
        return;
    }
    uint32_t s[8];
    uint8_t block[64];
    memcpy(s, iv, sizeof s);
    int64_t k = 0;
    for (; k + 64 <= len; k += 64) compress(s, p + k);
    int64_t rest = len - k;
    memset(block, 0, 64);
    memcpy(block, p + k, (size_t)rest);
    block[rest] = 0x80;
    if (rest >= 56) {
        compress(s, block);
        memset(block, 0, 64);
    }
    uint64_t bits = (uint64_t)len * 8;
    for (int j = 0; j < 8; j++) block[63 - j] = (uint8_t)(bits >> (8 * j));
    compress(s, block);
    for (int j = 0; j < 8; j++) {
        digest[4 * j] = (uint8_t)(s[j] >> 24);
        digest[4 * j + 1] = (uint8_t)(s[j] >> 16);
        digest[4 * j + 2] = (uint8_t)(s[j] >> 8);
        digest[4 * j + 3] = (uint8_t)s[j];
    }
}

/*
 * Check a run of the audit chain (see accord.core.audit). Record i is
 * payload[offsets[i] .. offsets[i + 1]); its stored hash is hashes[64 i .. 64 i + 64)
 * in lowercase hex. A record is sound when its payload holds exactly `separators`
 * unit separators (0x1f), ends with the previous record's hash (`prev` for the first),
 * and hashes to its stored hash. Returns the index of the first unsound record, or -1.
 */
int64_t accord_verify_chain(const uint8_t *payloads, const int64_t *offsets, int64_t n,
                            const uint8_t *hashes, const uint8_t prev[64], int64_t separators) {
    uint32_t iv[8];
    memcpy(iv, IV, sizeof iv);
    find_openssl();
    uint8_t digest[32];
    const uint8_t *link = prev;
    for (int64_t i = 0; i < n; i++) {
        const uint8_t *p = payloads + offsets[i];
        int64_t len = offsets[i + 1] - offsets[i];
        if (len < 64 || memcmp(p + len - 64, link, 64) != 0) return i;
        int64_t count = 0;
        for (int64_t j = 0; j < len; j++) count += (p[j] == 0x1f);
        if (count != separators) return i;
        sha256(iv, p, len, digest);
        const uint8_t *stored = hashes + 64 * i;
        for (int j = 0; j < 32; j++) {
            if (stored[2 * j] != (uint8_t)HEX[digest[j] >> 4] ||
                stored[2 * j + 1] != (uint8_t)HEX[digest[j] & 15])
                return i;
        }
        link = stored;
    }
    return -1;
}

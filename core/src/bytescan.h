/* Internal: finding JSON's special bytes 16 or 64 at a time (SSE2 where there is one, else byte by byte). */
#ifndef KUSTO_BYTESCAN_H
#define KUSTO_BYTESCAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* The first '"' or '\\' in [p, end), or end. */
static inline const char *kusto_find_quote_or_backslash(const char *p, const char *end) {
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    for (; end - p >= 16; p += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned hits = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
        if (hits) return p + __builtin_ctz(hits);
    }
#endif
    while (p < end && *p != '"' && *p != '\\') p++;
    return p;
}

/* Bit i of each mask: byte i of the 64 at p is '"', '\\', '[' or '{', ']' or '}'. */
struct kusto_block_masks {
    uint64_t quote, backslash, open, close;
};

static inline void kusto_block_masks(const char *p, struct kusto_block_masks *m) {
    m->quote = m->backslash = m->open = m->close = 0;
#ifdef __SSE2__
    /* '[' and '{' (0x5B, 0x7B) differ only in bit 0x20, as do ']' and '}': one compare each after or-ing it. */
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), open = _mm_set1_epi8('{'),
                  close = _mm_set1_epi8('}'), fold = _mm_set1_epi8(0x20);
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k)), folded = _mm_or_si128(v, fold);
        m->quote |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) << 16 * k;
        m->backslash |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, backslash)) << 16 * k;
        m->open |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(folded, open)) << 16 * k;
        m->close |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(folded, close)) << 16 * k;
    }
#else
    for (int i = 0; i < 64; i++) {
        uint64_t bit = UINT64_C(1) << i;
        char c = p[i];
        if (c == '"') m->quote |= bit;
        else if (c == '\\') m->backslash |= bit;
        else if (c == '[' || c == '{') m->open |= bit;
        else if (c == ']' || c == '}') m->close |= bit;
    }
#endif
}

/* Without -mpopcnt the builtin is a library call: this is a few instructions. */
static inline unsigned kusto_popcount64(uint64_t x) {
    x = x - (x >> 1 & UINT64_C(0x5555555555555555));
    x = (x & UINT64_C(0x3333333333333333)) + (x >> 2 & UINT64_C(0x3333333333333333));
    x = (x + (x >> 4)) & UINT64_C(0x0F0F0F0F0F0F0F0F);
    return (unsigned)((x * UINT64_C(0x0101010101010101)) >> 56);
}

/* Bit i: the xor of bits 0..i (inside a string, counting from its opening quote). */
static inline uint64_t kusto_prefix_xor(uint64_t x) {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

#endif

/*
 * Decimal to double by the Eisel-Lemire method (D. Lemire, "Number Parsing at a Gigabyte per Second",
 * 2021): the exact 64-bit significand times a 128-bit truncation of 10^q; when the product's bits
 * cannot decide the rounding, the caller falls back to strtod, so the result is always strtod's.
 *
 * The table of 10^q is computed once at first use with exact big-integer arithmetic rather than
 * written out: 5^q for q >= 0, and floor(2^1024 / 5^-q) for q < 0, each cut to its top 128 bits.
 */
#include "eisel_lemire.h"

#include <pthread.h>
#include <string.h>

#define MIN_Q (-342)
#define MAX_Q 308
/* Limbs of 32 bits: 2^1024 needs 33, 5^308 (715 bits) 23. */
#define LIMBS 34
#define DIVIDEND_BITS 1024

struct power {
    uint64_t hi, lo; /* 10^q ~= (hi:lo) * 2^(e2 - 127), hi:lo truncated, top bit set */
    int e2;          /* floor(log2(10^q)) */
};

static struct power powers[MAX_Q - MIN_Q + 1];
static pthread_once_t powers_once = PTHREAD_ONCE_INIT;

struct big {
    uint32_t limb[LIMBS]; /* little-endian */
};

static int bit_length(const struct big *b) {
    for (int i = LIMBS - 1; i >= 0; i--)
        if (b->limb[i]) return i * 32 + 32 - __builtin_clz(b->limb[i]);
    return 0;
}

static int bit_at(const struct big *b, int i) { return i < 0 ? 0 : (int)(b->limb[i / 32] >> (i % 32) & 1); }

/* The top 128 bits of b (zeros below its lowest bit when it is shorter), and its bit length. */
static int top_bits(const struct big *b, struct power *out) {
    int n = bit_length(b);
    out->hi = out->lo = 0;
    for (int i = 0; i < 128; i++) {
        uint64_t bit = (uint64_t)bit_at(b, n - 1 - i);
        out->hi = out->hi << 1 | out->lo >> 63;
        out->lo = out->lo << 1 | bit;
    }
    return n;
}

static void times5(struct big *b) {
    uint64_t carry = 0;
    for (int i = 0; i < LIMBS; i++) {
        uint64_t v = (uint64_t)b->limb[i] * 5 + carry;
        b->limb[i] = (uint32_t)v;
        carry = v >> 32;
    }
}

static void divide5(struct big *b) {
    uint64_t rest = 0;
    for (int i = LIMBS - 1; i >= 0; i--) {
        uint64_t v = rest << 32 | b->limb[i];
        b->limb[i] = (uint32_t)(v / 5);
        rest = v % 5;
    }
}

static void make_powers(void) {
    struct big b = {{1}};
    for (int q = 0; q <= MAX_Q; q++, times5(&b)) {
        struct power *pw = &powers[q - MIN_Q];
        pw->e2 = top_bits(&b, pw) - 1 + q; /* 10^q = 5^q * 2^q */
    }
    memset(&b, 0, sizeof b);
    b.limb[DIVIDEND_BITS / 32] = 1;
    for (int q = -1; q >= MIN_Q; q--) {
        divide5(&b);
        struct power *pw = &powers[q - MIN_Q];
        pw->e2 = top_bits(&b, pw) - 1 + q - DIVIDEND_BITS; /* 10^q = 2^q * 2^1024 / 5^-q / 2^1024 */
    }
}

int kusto_eisel_lemire(uint64_t w, int q, int negative, double *out) {
    uint64_t sign = negative ? UINT64_C(1) << 63 : 0, bits;
    if (w == 0) {
        memcpy(out, &sign, sizeof *out);
        return 0;
    }
    if (q < MIN_Q || q > MAX_Q) return -1;
    pthread_once(&powers_once, make_powers);
    const struct power *pw = &powers[q - MIN_Q];
    int shift = __builtin_clzll(w);
    w <<= shift;
    unsigned __int128 product = (unsigned __int128)w * pw->hi;
    uint64_t hi = (uint64_t)(product >> 64), lo = (uint64_t)product;
    /* The truncated low word of the power adds less than w to `lo`: look at it only when that could
       carry into the bits below the 54 kept, which decide the rounding. */
    if ((hi & 0x1FF) == 0x1FF && lo + w < lo) {
        unsigned __int128 low = (unsigned __int128)w * pw->lo;
        uint64_t low_hi = (uint64_t)(low >> 64), low_lo = (uint64_t)low;
        uint64_t merged_lo = lo + low_hi, merged_hi = hi + (merged_lo < lo);
        if ((merged_hi & 0x1FF) == 0x1FF && merged_lo + 1 == 0 && low_lo + w < low_lo) return -1;
        hi = merged_hi;
        lo = merged_lo;
    }
    int top = (int)(hi >> 63);
    uint64_t mantissa = hi >> (top + 9); /* 54 bits: one more than a double keeps, for rounding */
    int64_t exponent = (int64_t)pw->e2 + 1087 - shift - (1 - top);
    if (lo == 0 && (hi & 0x1FF) == 0 && (mantissa & 3) == 1) return -1; /* maybe exactly halfway */
    mantissa = (mantissa + (mantissa & 1)) >> 1;
    if (mantissa >> 53) {
        mantissa >>= 1;
        exponent++;
    }
    if (exponent <= 0 || exponent >= 0x7FF) return -1; /* subnormal or infinite: strtod knows */
    bits = sign | (uint64_t)exponent << 52 | (mantissa & ((UINT64_C(1) << 52) - 1));
    memcpy(out, &bits, sizeof *out);
    return 0;
}

/* A cursor over complete JSON text: tokens, skipping, unescaping and exact number conversion. */
#include "jsonread.h"

#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bytescan.h"
#include "platform.h"
#include "eisel_lemire.h"

static int is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

int kusto_jr_peek_slow(kusto_jr *r) {
    while (r->p < r->end && is_space(*r->p)) r->p++;
    return r->p < r->end ? (unsigned char)*r->p : -1;
}

/* At the opening quote: moves past the closing one. */
static inline __attribute__((always_inline)) int read_string(kusto_jr *r, kusto_jr_token *t) {
    const char *s = ++r->p;
    t->escaped = 0;
    for (;;) {
        r->p = kusto_find_quote_or_backslash(r->p, r->end);
        if (r->p >= r->end) return -1;
        if (*r->p == '"') break;
        if (r->end - r->p < 2) return -1;
        t->escaped = 1;
        r->p += 2;
    }
    t->ptr = s;
    t->len = (size_t)(r->p++ - s);
    return 0;
}

static int is_number_char(char c) {
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

static int read_word(kusto_jr *r, const char *word, size_t len) {
    if ((size_t)(r->end - r->p) < len || memcmp(r->p, word, len) != 0) return -1;
    r->p += len;
    return 0;
}

int kusto_jr_token_read(kusto_jr *r, kusto_jr_token *t) {
    int c = kusto_jr_peek(r);
    t->start = r->p;
    t->ptr = r->p;
    t->len = 0;
    t->escaped = 0;
    switch (c) {
    case '"': t->kind = KUSTO_JR_STRING; return read_string(r, t);
    case '[': t->kind = KUSTO_JR_ARRAY; return 0;
    case '{': t->kind = KUSTO_JR_OBJECT; return 0;
    case 'n': t->kind = KUSTO_JR_NULL; return read_word(r, "null", 4);
    case 't': t->kind = KUSTO_JR_TRUE; return read_word(r, "true", 4);
    case 'f': t->kind = KUSTO_JR_FALSE; return read_word(r, "false", 5);
    default:
        if (c != '-' && (c < '0' || c > '9')) return -1;
        t->kind = KUSTO_JR_NUMBER;
        while (r->p < r->end && is_number_char(*r->p)) r->p++;
        t->len = (size_t)(r->p - t->ptr);
        return 0;
    }
}

/* Skips a container by counting brackets outside strings; notes any space between its tokens. */
static int skip_container(kusto_jr *r, int *spaced) {
    size_t depth = 0;
    while (r->p < r->end) {
        char c = *r->p;
        if (c == '"') {
            kusto_jr_token t;
            if (read_string(r, &t)) return -1;
            continue;
        }
        r->p++;
        if ((unsigned char)c <= ' ') *spaced = 1;
        else if (c == '[' || c == '{') depth++;
        else if ((c == ']' || c == '}') && --depth == 0) return 0;
    }
    return -1;
}

/* One byte of skip_to_close's walk: 1 when it closed the container. */
static int bracket_step(char c, size_t *depth, int *in_string, int *escape) {
    if (*in_string) {
        if (*escape) *escape = 0;
        else if (c == '\\') *escape = 1;
        else if (c == '"') *in_string = 0;
    } else if (c == '"') {
        *in_string = 1;
    } else if (c == '[' || c == '{') {
        ++*depth;
    } else if ((c == ']' || c == '}') && --*depth == 0) {
        return 1;
    }
    return 0;
}

int kusto_jr_skip_to_close(kusto_jr *r) {
    size_t depth = 1;
    int in_string = 0, escape = 0;
    const char *p = r->p;
    while (p < r->end) {
        struct kusto_block_masks m;
        if (r->end - p >= 64 && !escape && (kusto_block_masks(p, &m), !m.backslash)) {
            uint64_t strings = kusto_prefix_xor(m.quote) ^ (in_string ? ~UINT64_C(0) : 0);
            uint64_t open = m.open & ~strings, close = m.close & ~strings;
            if (depth <= kusto_popcount64(close)) { /* it may close here: follow the brackets in order */
                for (uint64_t brackets = open | close; brackets; brackets &= brackets - 1) {
                    int at = __builtin_ctzll(brackets);
                    if (open >> at & 1) depth++;
                    else if (--depth == 0) return r->p = p + at + 1, 0;
                }
            } else {
                depth = depth + kusto_popcount64(open) - kusto_popcount64(close);
            }
            in_string = (int)(strings >> 63);
            p += 64;
            continue;
        }
        /* A backslash in the next 64 bytes, or fewer are left: those bytes one by one. */
        for (const char *stop = r->end - p > 64 ? p + 64 : r->end; p < stop;)
            if (bracket_step(*p++, &depth, &in_string, &escape)) return r->p = p, 0;
    }
    return -1;
}

int kusto_jr_skip_noting_space(kusto_jr *r, int *spaced) {
    kusto_jr_token t;
    *spaced = 0;
    if (kusto_jr_token_read(r, &t)) return -1;
    return t.kind == KUSTO_JR_ARRAY || t.kind == KUSTO_JR_OBJECT ? skip_container(r, spaced) : 0;
}

int kusto_jr_skip(kusto_jr *r) {
    int spaced;
    return kusto_jr_skip_noting_space(r, &spaced);
}

int kusto_jr_open(kusto_jr *r, char open) {
    if (kusto_jr_peek(r) != (unsigned char)open) return -1;
    r->p++;
    return 0;
}

int kusto_jr_key(kusto_jr *r, kusto_jr_token *key) {
    if (kusto_jr_token_read(r, key) || key->kind != KUSTO_JR_STRING) return -1;
    if (kusto_jr_peek(r) != ':') return -1;
    r->p++;
    return 0;
}

/* ---- strings ------------------------------------------------------------------------------------- */

static int hex4(const char *s, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

static int put_utf8(kusto_buf *out, unsigned cp) {
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | cp >> 6);
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | cp >> 12);
        b[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | cp >> 18);
        b[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        b[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return kusto_buf_append(out, b, n);
}

/* "\uXXXX" at s (after the backslash and 'u'), joining a surrogate pair; returns bytes consumed after
   "\u", or -1. A lone surrogate becomes U+FFFD. */
static int unicode_escape(kusto_buf *out, const char *s, size_t left) {
    unsigned cp, low;
    if (left < 4 || hex4(s, &cp)) return -1;
    int used = 4;
    if (cp >= 0xD800 && cp < 0xDC00 && left >= 10 && s[4] == '\\' && s[5] == 'u' && hex4(s + 6, &low) == 0 &&
        low >= 0xDC00 && low < 0xE000) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        used = 10;
    } else if (cp >= 0xD800 && cp < 0xE000) {
        cp = 0xFFFD;
    }
    return put_utf8(out, cp) ? -1 : used;
}

static char simple_escape(char c) {
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return 0;
    }
}

int kusto_jr_unescape(kusto_buf *out, const char *raw, size_t len) {
    size_t i = 0;
    while (i < len) {
        const char *bs = memchr(raw + i, '\\', len - i);
        size_t plain = bs ? (size_t)(bs - raw) - i : len - i;
        if (kusto_buf_append(out, raw + i, plain)) return -1;
        i += plain;
        if (i >= len) break;
        if (i + 1 >= len) return -1;
        char c = raw[i + 1];
        i += 2;
        if (c == 'u') {
            int used = unicode_escape(out, raw + i, len - i);
            if (used < 0) return -1;
            i += (size_t)used;
        } else {
            char plain_char = simple_escape(c);
            if (!plain_char || kusto_buf_append(out, &plain_char, 1)) return -1;
        }
    }
    /* Leave a valid (empty) string even when nothing was appended. */
    return kusto_buf_append(out, "", 0);
}

/* Past the string whose opening quote is at p (or to end when it is not closed). */
static const char *string_end(const char *p, const char *end) {
    for (p++;;) {
        p = kusto_find_quote_or_backslash(p, end);
        if (p >= end) return end;
        if (*p == '"') return p + 1;
        if (end - p < 2) return end;
        p += 2;
    }
}

int kusto_jr_compact(kusto_buf *out, const char *text, size_t len) {
    const char *p = text, *end = text + len, *run = text;
    while (p < end) {
        if (*p == '"') {
            p = string_end(p, end);
            continue;
        }
        if (is_space(*p)) {
            if (kusto_buf_append(out, run, (size_t)(p - run))) return -1;
            run = p + 1;
        }
        p++;
    }
    return kusto_buf_append(out, run, (size_t)(end - run));
}

/* ---- numbers ------------------------------------------------------------------------------------- */

/* 8 ASCII digits at s as their value: 1, or 0 when they are not all digits. A well-known SWAR method:
   check every byte is 0x30..0x39, then combine pairs, quads and halves with three multiplications. */
static inline int eight_digits(const char *s, uint64_t *out) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, s, sizeof v);
    uint64_t high = v & UINT64_C(0xF0F0F0F0F0F0F0F0);
    uint64_t carried = (v + UINT64_C(0x0606060606060606)) & UINT64_C(0xF0F0F0F0F0F0F0F0);
    if ((high | carried >> 4) != UINT64_C(0x3333333333333333)) return 0;
    v = (v & UINT64_C(0x0F0F0F0F0F0F0F0F)) * 2561 >> 8;
    v = (v & UINT64_C(0x00FF00FF00FF00FF)) * 6553601 >> 16;
    *out = (v & UINT64_C(0x0000FFFF0000FFFF)) * UINT64_C(42949672960001) >> 32;
    return 1;
#else
    (void)s;
    (void)out;
    return 0;
#endif
}

int kusto_jr_int64(const char *text, size_t len, int64_t *out) {
    int negative = len > 0 && text[0] == '-';
    size_t i = (size_t)negative;
    if (i >= len) return -1;
    uint64_t v = 0;
    /* 18 digits cannot overflow: no range check until the 19th. */
    size_t short_end = len - i > 18 ? i + 18 : len;
    uint64_t eight;
    while (short_end - i >= 8 && eight_digits(text + i, &eight)) {
        v = v * 100000000 + eight;
        i += 8;
    }
    for (; i < short_end; i++) {
        unsigned d = (unsigned)(text[i] - '0');
        if (d > 9) return -1;
        v = v * 10 + d;
    }
    uint64_t limit = (uint64_t)INT64_MAX + (uint64_t)negative;
    for (; i < len; i++) {
        unsigned d = (unsigned)(text[i] - '0');
        if (d > 9 || v > (limit - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = negative ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

/* A number in JSON's grammar, -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, with at most 19
   significant digits, as w * 10^q. -1 for anything else (strtod then decides what it is). */
struct decimal {
    uint64_t w;
    int q;
    int negative;
};

static size_t digit_run(const char *s, size_t i, size_t len) {
    while (i < len && (unsigned)(s[i] - '0') <= 9) i++;
    return i;
}

static int significant_digits(const char *s, size_t from, size_t to, struct decimal *d, int *count) {
    size_t i = from;
    uint64_t eight;
    while (i < to && *count == 0 && s[i] == '0') i++; /* leading zeros are not significant */
    while (to - i >= 8 && *count + 8 <= 19 && (*count > 0 || s[i] != '0') && eight_digits(s + i, &eight)) {
        d->w = d->w * 100000000 + eight;
        *count += 8;
        i += 8;
    }
    for (; i < to; i++) {
        unsigned digit = (unsigned)(s[i] - '0');
        if (*count == 0 && digit == 0) continue; /* leading zeros are not significant */
        if (++*count > 19) return -1;
        d->w = d->w * 10 + digit;
    }
    return 0;
}

static int read_exponent(const char *s, size_t i, size_t len, int *exponent) {
    int negative = i < len && s[i] == '-';
    if (i < len && (s[i] == '-' || s[i] == '+')) i++;
    size_t end = digit_run(s, i, len);
    if (end == i || end != len || end - i > 6) return -1; /* beyond 6 digits: strtod's ERANGE handling */
    int v = 0;
    for (; i < end; i++) v = v * 10 + (s[i] - '0');
    *exponent = negative ? -v : v;
    return 0;
}

/* Digits from i as one number (wrapping beyond 19 digits: the caller counts them); returns where they end. */
static size_t accumulate_digits(const char *s, size_t i, size_t len, uint64_t *w) {
    uint64_t eight;
    while (len - i >= 8 && eight_digits(s + i, &eight)) {
        *w = *w * 100000000 + eight;
        i += 8;
    }
    for (; i < len && (unsigned)(s[i] - '0') <= 9; i++) *w = *w * 10 + (uint64_t)(s[i] - '0');
    return i;
}

static int decimal_of(const char *s, size_t len, struct decimal *d) {
    int exponent = 0;
    memset(d, 0, sizeof *d);
    d->negative = len > 0 && s[0] == '-';
    size_t int_start = (size_t)d->negative, i = accumulate_digits(s, int_start, len, &d->w), int_end = i;
    if (int_end == int_start || (s[int_start] == '0' && int_end - int_start > 1)) return -1;
    size_t frac_start = i + 1, frac_end = i + 1;
    if (i < len && s[i] == '.') {
        i = frac_end = accumulate_digits(s, frac_start, len, &d->w);
        if (frac_end == frac_start || frac_end - frac_start > 100000) return -1;
        d->q = -(int)(frac_end - frac_start);
    }
    if (int_end - int_start + (frac_end - frac_start) > 19) {
        /* Too many digits for the sum above: count only the significant ones. */
        int count = 0;
        d->w = 0;
        if (significant_digits(s, int_start, int_end, d, &count) ||
            (frac_end > frac_start && significant_digits(s, frac_start, frac_end, d, &count)))
            return -1;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        if (read_exponent(s, i + 1, len, &exponent)) return -1;
        i = len;
    }
    if (i != len) return -1;
    d->q += exponent;
    return 0;
}

/* Exact when w and 10^|q| are both exact doubles: one correctly rounded operation (Clinger). */
static int exact_double(const struct decimal *d, double *out) {
    static const double powers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (d->w > (UINT64_C(1) << 53) || d->q < -22 || d->q > 22) return -1;
    double v = (double)d->w;
    v = d->q < 0 ? v / powers[-d->q] : v * powers[d->q];
    *out = d->negative ? -v : v;
    return 0;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void make_c_locale(void) { c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

static int strtod_double(const char *text, size_t len, double *out) {
    pthread_once(&c_locale_once, make_c_locale);
    if (!c_locale) return -1;
    char small[64];
    char *copy = len < sizeof small ? small : malloc(len + 1);
    if (!copy) return -1;
    memcpy(copy, text, len);
    copy[len] = '\0';
    char *end;
    *out = kusto_strtod_l(copy, &end, c_locale);
    int ok = end == copy + len && (copy[0] == '-' || (copy[0] >= '0' && copy[0] <= '9'));
    if (copy != small) free(copy);
    return ok ? 0 : -1;
}

int kusto_jr_double(const char *text, size_t len, double *out) {
    struct decimal d;
    if (len == 0) return -1;
    if (decimal_of(text, len, &d) == 0 &&
        (exact_double(&d, out) == 0 || kusto_eisel_lemire(d.w, d.q, d.negative, out) == 0))
        return 0;
    return strtod_double(text, len, out);
}

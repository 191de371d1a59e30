/* core/src/jsonread.c and eisel_lemire.c: numbers exactly as strtod reads them, int64 limits, strings. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "eisel_lemire.h"
#include "jsonread.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t next_random(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int mismatches;

/* kusto_jr_double gives strtod's double, bit for bit (the sign of zero too), for text strtod reads whole. */
static void check_like_strtod(const char *text) {
    char *end;
    double expected = strtod(text, &end), actual = 0;
    int rc = kusto_jr_double(text, strlen(text), &actual);
    if (rc != 0 || memcmp(&expected, &actual, sizeof actual) != 0) {
        if (mismatches++ < 10)
            fprintf(stderr, "%s: kusto_jr_double %d %.17g, strtod %.17g\n", text, rc, actual, expected);
    }
}

static void test_double_edges(void) {
    /* clang-format off */
    const char *texts[] = {
        "0", "-0", "0.0", "-0.0", "0e5", "-0e-400", "1", "-1", "0.1", "0.2", "0.3", "1e22", "1e23", "1e-22",
        "123456789012345", "1234567890123456", "12345678901234567", "1234567890123456789",
        "0.123456789012345", "0.1234567890123456", "0.12345678901234567", "0.1234567890123456789",
        "9007199254740992", "9007199254740993", "9007199254740994", "9007199254740995", "18014398509481993",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "18446744073709551615",
        "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "1e308", "1e309",
        "2.2250738585072014e-308", "2.2250738585072011e-308", "2.2250738585072009e-308", "4.9e-324",
        "5e-324", "2e-324", "1e-400", "1e-342", "1e-343", "9.999999999999999e-343", "1e308", "1E+10",
        "1e+0", "1e-0", "1.5E-5", "3.141592653589793", "2.718281828459045", "0.30000000000000004",
        "4.35679e-3", "7.0e-10", "1.00000000000000011102230246251565404236316680908203125",
        "1.00000000000000011102230246251565404236316680908203124", "123456789012345678901234567890",
        "0.000000000000000000000000000000000000001", "100000000000000000000000", "2.5", "0.5e1",
        "1e0000001", "1.0000000000000000000000000000001",
    };
    /* clang-format on */
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) check_like_strtod(texts[i]);
    CHECK_INT(mismatches, 0);
}

/* Random doubles printed with 15, 16 and 17 significant digits, and random digit strings with random
   exponents, read back as strtod reads them. */
static void test_double_random(void) {
    char text[64];
    mismatches = 0;
    for (int i = 0; i < 60000; i++) {
        uint64_t bits = next_random();
        double d;
        memcpy(&d, &bits, sizeof d);
        if (!isfinite(d)) continue;
        for (int digits = 15; digits <= 17; digits++) {
            snprintf(text, sizeof text, "%.*g", digits, d);
            check_like_strtod(text);
        }
    }
    for (int i = 0; i < 60000; i++) {
        uint64_t r = next_random();
        int digits = 1 + (int)(r % 19), point = (int)(r >> 8) % (digits + 1), exponent = (int)((r >> 16) % 700) - 350;
        size_t n = 0;
        if (r >> 40 & 1) text[n++] = '-';
        uint64_t v = next_random();
        for (int k = 0; k < digits; k++) {
            if (k == point && k > 0) text[n++] = '.';
            text[n++] = (char)('0' + (k == 0 && digits > 1 && point != 1 ? 1 + v % 9 : v % 10));
            v = v / 10 ? v / 10 : next_random();
        }
        if (r >> 41 & 1) n += (size_t)snprintf(text + n, sizeof text - n, "e%d", exponent);
        text[n] = '\0';
        check_like_strtod(text);
    }
    /* Halfway between neighbouring doubles, and just either side, exactly written out with 17+ digits. */
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = next_random() >> 2 | UINT64_C(0x3000000000000000);
        uint64_t next_bits = bits + 1;
        double lo, hi;
        memcpy(&lo, &bits, sizeof lo);
        memcpy(&hi, &next_bits, sizeof hi);
        snprintf(text, sizeof text, "%.17e", lo / 2 + hi / 2);
        check_like_strtod(text);
        snprintf(text, sizeof text, "%.18e", lo + (hi - lo) / 2);
        check_like_strtod(text);
    }
    CHECK_INT(mismatches, 0);
}

/* The fast method alone: whenever it decides, it decides as strtod does, and it decides nearly always. */
static void test_eisel_lemire(void) {
    char text[64];
    int decided = 0, wrong = 0, tries = 100000;
    for (int i = 0; i < tries; i++) {
        uint64_t w = next_random() % UINT64_C(10000000000000000000);
        int q = (int)(next_random() % 651) - 342;
        double fast, slow;
        if (kusto_eisel_lemire(w, q, 0, &fast)) continue;
        decided++;
        snprintf(text, sizeof text, "%llue%d", (unsigned long long)w, q);
        slow = strtod(text, NULL);
        if (memcmp(&fast, &slow, sizeof fast) != 0 && wrong++ < 10)
            fprintf(stderr, "%s: eisel_lemire %.17g, strtod %.17g\n", text, fast, slow);
    }
    CHECK_INT(wrong, 0);
    CHECK(decided > tries * 85 / 100); /* the rest: subnormal or infinite results */
}

static void test_double_rejects(void) {
    double d = 42;
    const char *bad[] = {"", "-", "+1", ".5", "1e", "1e+", "--1", "1x", "e5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) CHECK(kusto_jr_double(bad[i], strlen(bad[i]), &d) == -1);
    /* Not JSON, but strtod takes them whole, and so did the parser before: still accepted. */
    CHECK(kusto_jr_double("01.5", 4, &d) == 0 && d == 1.5);
    CHECK(kusto_jr_double("1.", 2, &d) == 0 && d == 1.0);
    CHECK(kusto_jr_double("-.5", 3, &d) == 0 && d == -0.5);
    /* The length bounds the text: what follows is not read. */
    CHECK(kusto_jr_double("2.5e3xyz", 5, &d) == 0 && d == 2500);
}

static void test_int64(void) {
    int64_t v = 7;
    CHECK(kusto_jr_int64("9223372036854775807", 19, &v) == 0 && v == INT64_MAX);
    CHECK(kusto_jr_int64("-9223372036854775808", 20, &v) == 0 && v == INT64_MIN);
    CHECK(kusto_jr_int64("9223372036854775808", 19, &v) == -1);
    CHECK(kusto_jr_int64("-9223372036854775809", 20, &v) == -1);
    CHECK(kusto_jr_int64("99999999999999999999", 20, &v) == -1);
    CHECK(kusto_jr_int64("999999999999999999", 18, &v) == 0 && v == INT64_C(999999999999999999));
    CHECK(kusto_jr_int64("-999999999999999999", 19, &v) == 0 && v == -INT64_C(999999999999999999));
    CHECK(kusto_jr_int64("0000000000000000000000042", 25, &v) == 0 && v == 42);
    CHECK(kusto_jr_int64("-0", 2, &v) == 0 && v == 0);
    CHECK(kusto_jr_int64("-", 1, &v) == -1);
    CHECK(kusto_jr_int64("", 0, &v) == -1);
    CHECK(kusto_jr_int64("1.0", 3, &v) == -1);
    CHECK(kusto_jr_int64("12345678901234567a", 18, &v) == -1);
    CHECK(kusto_jr_int64("1234567890123456789a", 20, &v) == -1);
}

static void test_strings(void) {
    /* Escapes and quotes at every distance from a 16-byte boundary. */
    for (size_t pad = 0; pad < 40; pad++) {
        char text[128];
        memset(text, 'x', sizeof text);
        text[0] = '"';
        memcpy(text + 1 + pad, "\\\"a\\\\\"", 6); /* "xxx\"a\\" then a closing quote */
        kusto_jr r = {text, text + 1 + pad + 6};
        kusto_jr_token t;
        CHECK(kusto_jr_token_read(&r, &t) == 0 && t.kind == KUSTO_JR_STRING && t.escaped && t.len == pad + 5);
        CHECK(r.p == r.end);
        kusto_jr cut = {text, text + 1 + pad + 5}; /* the closing quote missing */
        CHECK(kusto_jr_token_read(&cut, &t) == -1);
        kusto_jr lone = {text, text + 1 + pad + 1}; /* ends after a backslash */
        CHECK(kusto_jr_token_read(&lone, &t) == -1);
    }
}

static void test_compact(void) {
    kusto_buf b = {0};
    const char *text = " { \"a b\" : [ 1 , \"\\\" x \" ] ,\n\t\"c\":null } ";
    CHECK(kusto_jr_compact(&b, text, strlen(text)) == 0);
    CHECK_STR(b.data, "{\"a b\":[1,\"\\\" x \"],\"c\":null}");
    b.len = 0;
    CHECK(kusto_jr_compact(&b, "\"open \\", 7) == 0);
    CHECK_STR(b.data, "\"open \\");
    kusto_buf_free(&b);
}

/* skip_to_close ends where kusto_jr_skip does, at every padding that moves its brackets across the 64-byte blocks,
   and says -1 for every cut-off prefix. */
static void test_skip_to_close(void) {
    static const char *const values[] = {
        "[1,\"a]b\",{\"k\":[true,null]},\"x\"]",
        "{\"s\":\"quote \\\" ] } [ {\",\"t\":[[[]]],\"u\":\"\\\\\"}",
        "[\"2024-01-01T00:00:00Z\",{\"n\":0,\"tags\":[\"a\",\"b\"],\"ok\":true},\"0F8FAD5B-D9CB-469F-A165-70867728950E\"]",
        "[\"\\\\\",\"]\\\"]\",[\"{\\\\\"]]",
    };
    size_t wrong = 0;
    for (size_t v = 0; v < sizeof values / sizeof *values; v++) {
        for (size_t pad = 0; pad < 130; pad++) {
            char text[512];
            size_t len = (size_t)snprintf(text, sizeof text, "[\"%*s\",%s]", (int)pad, "", values[v]);
            const char *value = text + pad + 4;
            kusto_jr skip = {value, text + len}, fast = {value + 1, text + len};
            wrong += kusto_jr_skip(&skip) != 0 || kusto_jr_skip_to_close(&fast) != 0 || fast.p != skip.p;
            kusto_jr whole = {text + 1, text + len};
            wrong += kusto_jr_skip_to_close(&whole) != 0 || whole.p != text + len;
            for (const char *cut = text + 1; cut < text + len; cut++) {
                kusto_jr part = {text + 1, cut};
                wrong += kusto_jr_skip_to_close(&part) != -1;
            }
        }
    }
    CHECK_INT(wrong, 0);
}

int main(void) {
    test_double_edges();
    test_double_random();
    test_eisel_lemire();
    test_double_rejects();
    test_int64();
    test_strings();
    test_compact();
    test_skip_to_close();
    CHECK_DONE();
}

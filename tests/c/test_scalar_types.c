/* core/src/scalar_types.c: type names, datetime and timespan text <-> ticks. */
#include <string.h>

#include "check.h"
#include "kusto.h"
#include "parser.h"

#define TICKS_PER_DAY (INT64_C(864000000000))

static int64_t datetime(const char *text) {
    int64_t ticks = -1;
    return kusto_datetime_parse(text, strlen(text), &ticks) == KUSTO_OK ? ticks : INT64_MIN;
}

static int64_t timespan(const char *text) {
    int64_t ticks = 0;
    return kusto_timespan_parse(text, strlen(text), &ticks) == KUSTO_OK ? ticks : INT64_C(-42424242);
}

static void test_type_names(void) {
    CHECK_STR(kusto_type_name(KUSTO_TYPE_LONG), "long");
    CHECK_STR(kusto_type_name(KUSTO_TYPE_DATETIME), "datetime");
    CHECK_STR(kusto_type_name(KUSTO_TYPE_DYNAMIC), "dynamic");
    CHECK_STR(kusto_type_name(KUSTO_TYPE_UNKNOWN), "unknown");
    CHECK_STR(kusto_type_name((kusto_type)99), "unknown");
    CHECK_INT(kusto_type_from_name("long"), KUSTO_TYPE_LONG);
    CHECK_INT(kusto_type_from_name("Int64"), KUSTO_TYPE_LONG);
    CHECK_INT(kusto_type_from_name("Int32"), KUSTO_TYPE_INT);
    CHECK_INT(kusto_type_from_name("Boolean"), KUSTO_TYPE_BOOL);
    CHECK_INT(kusto_type_from_name("SByte"), KUSTO_TYPE_BOOL);
    CHECK_INT(kusto_type_from_name("Double"), KUSTO_TYPE_REAL);
    CHECK_INT(kusto_type_from_name("System.String"), KUSTO_TYPE_STRING);
    CHECK_INT(kusto_type_from_name("DateTime"), KUSTO_TYPE_DATETIME);
    CHECK_INT(kusto_type_from_name("date"), KUSTO_TYPE_DATETIME);
    CHECK_INT(kusto_type_from_name("TimeSpan"), KUSTO_TYPE_TIMESPAN);
    CHECK_INT(kusto_type_from_name("time"), KUSTO_TYPE_TIMESPAN);
    CHECK_INT(kusto_type_from_name("Guid"), KUSTO_TYPE_GUID);
    CHECK_INT(kusto_type_from_name("uuid"), KUSTO_TYPE_GUID);
    CHECK_INT(kusto_type_from_name("Object"), KUSTO_TYPE_DYNAMIC);
    CHECK_INT(kusto_type_from_name("Decimal"), KUSTO_TYPE_DECIMAL);
    CHECK_INT(kusto_type_from_name("missing"), KUSTO_TYPE_UNKNOWN);
    CHECK_INT(kusto_type_from_name(NULL), KUSTO_TYPE_UNKNOWN);
}

static void test_datetime_parse(void) {
    CHECK_INT(datetime("0001-01-01T00:00:00Z"), 0);
    CHECK_INT(datetime("1970-01-01T00:00:00Z"), KUSTO_UNIX_EPOCH_TICKS);
    CHECK_INT(datetime("1970-01-01T00:00:00"), KUSTO_UNIX_EPOCH_TICKS);
    CHECK_INT(datetime("1970-01-01T00:00:01.5Z"), KUSTO_UNIX_EPOCH_TICKS + 15000000);
    CHECK_INT(datetime("1970-01-01T00:00:00.099Z"), KUSTO_UNIX_EPOCH_TICKS + 990000);
    CHECK_INT(datetime("1970-01-01T00:00:00.0000001Z"), KUSTO_UNIX_EPOCH_TICKS + 1);
    CHECK_INT(datetime("9999-12-31T23:59:59.9999999Z"), INT64_C(3155378975999999999));
    /* 2000 is a leap year (divisible by 400), 1900 is not, 2024 is. */
    CHECK_INT(datetime("2000-03-01T00:00:00Z") - datetime("2000-02-28T00:00:00Z"), 2 * TICKS_PER_DAY);
    CHECK_INT(datetime("1900-03-01T00:00:00Z") - datetime("1900-02-28T00:00:00Z"), TICKS_PER_DAY);
    CHECK(datetime("2024-02-29T12:00:00Z") != INT64_MIN);
    CHECK_INT(datetime("2023-02-29T12:00:00Z"), INT64_MIN);
    CHECK_INT(datetime("1900-02-29T00:00:00Z"), INT64_MIN);
    /* 2021-12-22T11:43:00Z is Unix 1640173380. */
    CHECK_INT(datetime("2021-12-22T11:43:00Z"), KUSTO_UNIX_EPOCH_TICKS + INT64_C(1640173380) * 10000000);

    /* clang-format off */
    const char *bad[] = {"", "2021", "0000-01-01T00:00:00Z", "2021-13-01T00:00:00Z", "2021-00-01T00:00:00Z",
                         "2021-04-31T00:00:00Z", "2021-01-01 00:00:00Z", "2021-01-01T24:00:00Z",
                         "2021-01-01T00:60:00Z", "2021-01-01T00:00:60Z", "2021-01-01T00:00:00.Z",
                         "2021-01-01T00:00:00.12345678Z", "2021-01-01T00:00:00ZZ", "2021-01-01T00:00:00+01:00",
                         "21-01-01T00:00:00Z", "2021-1-01T00:00:00Z", "2021-01-01T0:00:00Z"};
    /* clang-format on */
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t ticks = 7;
        CHECK_INT(kusto_datetime_parse(bad[i], strlen(bad[i]), &ticks), KUSTO_E_ARGUMENT);
        CHECK_INT(ticks, 7);
    }
    /* The length bounds the text: no NUL needed, nothing read beyond. */
    int64_t ticks = 0;
    CHECK_INT(kusto_datetime_parse("1970-01-01T00:00:00Zjunk", 20, &ticks), KUSTO_OK);
    CHECK_INT(ticks, KUSTO_UNIX_EPOCH_TICKS);
}

/* Days across the whole range (leap days included), each with 0 to 7 fraction digits, with and without
   the 'Z': parsing gives back the ticks the formatter started from, cut to the digits kept. */
static void test_datetime_every_layout(void) {
    static const int64_t cut[] = {10000000, 1000000, 100000, 10000, 1000, 100, 10, 1};
    int wrong = 0;
    for (int64_t day = 0; day < 3652059; day += 97) { /* 97 and 1461 (4 years) share no factor: leap days too */
        int64_t ticks = day * TICKS_PER_DAY + (day * INT64_C(7919) % TICKS_PER_DAY), parsed = -1;
        char buf[40];
        size_t n = kusto_datetime_format(ticks, buf); /* "....ss.fffffffZ" */
        for (int digits = 0; digits <= 7; digits++) {
            for (int z = 0; z <= 1; z++) {
                size_t len = n - 9 + (digits ? 1 + (size_t)digits : 0);
                char text[40];
                memcpy(text, buf, len);
                if (z) text[len++] = 'Z';
                int64_t expected = ticks - ticks % cut[digits];
                if (kusto_datetime_parse(text, len, &parsed) != KUSTO_OK || parsed != expected) wrong++;
            }
        }
    }
    CHECK_INT(wrong, 0);
    CHECK_INT(datetime("2024-02-29T23:59:59.1234567Z") - datetime("2024-02-29T00:00:00Z"),
              TICKS_PER_DAY - 10000000 + 1234567);
    CHECK_INT(datetime("2400-12-31T00:00:00Z") - datetime("2400-01-01T00:00:00Z"), 365 * TICKS_PER_DAY);
    CHECK_INT(datetime("2100-12-31T00:00:00Z") - datetime("2100-01-01T00:00:00Z"), 364 * TICKS_PER_DAY);
    CHECK_INT(datetime("2021-01-01T00:00:0a.1Z"), INT64_MIN);
    CHECK_INT(datetime("2021-01-01T00:00:00.1a"), INT64_MIN);
    CHECK_INT(datetime("202a-01-01T00:00:00Z"), INT64_MIN);
}

static void check_datetime_round_trip(const char *text) {
    char buf[40];
    int64_t ticks = datetime(text);
    size_t n = kusto_datetime_format(ticks, buf);
    CHECK_STR(buf, text);
    CHECK_INT(n, strlen(text));
}

static void test_datetime_format(void) {
    char buf[40];
    CHECK_INT(kusto_datetime_format(KUSTO_UNIX_EPOCH_TICKS, buf), 28);
    CHECK_STR(buf, "1970-01-01T00:00:00.0000000Z");
    kusto_datetime_format(0, buf);
    CHECK_STR(buf, "0001-01-01T00:00:00.0000000Z");
    check_datetime_round_trip("9999-12-31T23:59:59.9999999Z");
    check_datetime_round_trip("2024-02-29T23:59:59.9999999Z");
    check_datetime_round_trip("2000-12-31T00:00:00.0000001Z");
    check_datetime_round_trip("1900-03-01T12:34:56.7890120Z");
    check_datetime_round_trip("2015-01-01T01:01:01.0000001Z");
    CHECK_INT(kusto_datetime_format(-1, buf), 0);
    CHECK_STR(buf, "");
    CHECK_INT(kusto_datetime_format(INT64_C(3155378976000000000), buf), 0);
    /* Every day boundary of several years survives the round trip. */
    int failures = 0;
    for (int64_t day = datetime("1999-12-25T00:00:00Z") / TICKS_PER_DAY, end = day + 3 * 366; day < end; day++) {
        kusto_datetime_format(day * TICKS_PER_DAY + 1, buf);
        if (datetime(buf) != day * TICKS_PER_DAY + 1) failures++;
    }
    CHECK_INT(failures, 0);
}

static void test_timespan_parse(void) {
    CHECK_INT(timespan("00:00:00"), 0);
    CHECK_INT(timespan("00:00:01"), 10000000);
    CHECK_INT(timespan("00:00:00.099"), 990000);
    CHECK_INT(timespan("00:00:00.0000001"), 1);
    CHECK_INT(timespan("1.00:00:01.0010001"), TICKS_PER_DAY + 10010001);
    CHECK_INT(timespan("-2.00:00:02.0020002"), -(2 * TICKS_PER_DAY + 20020002));
    CHECK_INT(timespan("-00:00:01"), -10000000);
    CHECK_INT(timespan("23:59:59"), TICKS_PER_DAY - 10000000);
    CHECK_INT(timespan("10675199.02:48:05.4775807"), INT64_MAX);
    CHECK_INT(timespan("-10675199.02:48:05.4775808"), INT64_MIN);
    CHECK_INT(timespan("10675199.02:48:05.4775808"), -42424242);
    CHECK_INT(timespan("10675200.00:00:00"), -42424242);
    /* With and without days, both signs, 0 to 7 fraction digits: the formatter's text parses back. */
    int wrong = 0;
    for (int64_t ticks = -INT64_C(3) * TICKS_PER_DAY; ticks < INT64_C(3) * TICKS_PER_DAY; ticks += 1234567891) {
        char buf[40];
        kusto_timespan_format(ticks, buf);
        if (timespan(buf) != ticks) wrong++;
    }
    CHECK_INT(wrong, 0);
    CHECK_INT(timespan("-1.23:59:59.1"), -(2 * TICKS_PER_DAY - 9000000));
    CHECK_INT(timespan("12.01:02:03.1234567"), 12 * TICKS_PER_DAY + INT64_C(37231234567));
    CHECK_INT(timespan("00:00:0a"), -42424242);
    CHECK_INT(timespan("0a:00:00"), -42424242);
    /* clang-format off */
    const char *bad[] = {"", "foo", "00", "00:00", "03.00:00:00.", "03.00:00:00.111a", "1x00:00:01",
                         "24:00:00", "00:60:00", "00:00:60", "0:00:00", ".00:00:00", "--00:00:00",
                         "00:00:00.12345678", "1.2.00:00:00", " 00:00:00", "00:00:00 "};
    /* clang-format on */
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t ticks = 7;
        CHECK_INT(kusto_timespan_parse(bad[i], strlen(bad[i]), &ticks), KUSTO_E_ARGUMENT);
        CHECK_INT(ticks, 7);
    }
}

static void check_timespan_format(int64_t ticks, const char *expected) {
    char buf[40];
    size_t n = kusto_timespan_format(ticks, buf);
    CHECK_STR(buf, expected);
    CHECK_INT(n, strlen(expected));
    CHECK_INT(timespan(buf), ticks);
}

static void test_timespan_format(void) {
    check_timespan_format(0, "00:00:00");
    check_timespan_format(1, "00:00:00.0000001");
    check_timespan_format(-1, "-00:00:00.0000001");
    check_timespan_format(990000, "00:00:00.0990000");
    check_timespan_format(TICKS_PER_DAY, "1.00:00:00");
    check_timespan_format(-(2 * TICKS_PER_DAY + 20020002), "-2.00:00:02.0020002");
    check_timespan_format(INT64_C(36000000000) * 5 + INT64_C(600000000) * 7 + 10000000 * 9, "05:07:09");
    check_timespan_format(INT64_MAX, "10675199.02:48:05.4775807");
    check_timespan_format(INT64_MIN, "-10675199.02:48:05.4775808");
}

/* Every byte at every place of a GUID: accepted exactly when it is a hex digit (or the dash where one belongs). */
static void test_guid_bytes(void) {
    static const uint8_t want[16] = {0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f,
                                     0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e};
    const char *text = "0F8FAD5B-d9cb-469F-a165-70867728950E";
    uint8_t out[16];
    CHECK(kusto_guid_bytes(text, 36, out) && memcmp(out, want, 16) == 0);
    CHECK(!kusto_guid_bytes(text, 35, out) && !kusto_guid_text_valid("0F8FAD5B-d9cb-469F-a165-70867728950E0", 37));
    size_t wrong = 0;
    for (int at = 0; at < 36; at++) {
        for (int byte = 0; byte < 256; byte++) {
            char copy[37];
            memcpy(copy, text, 37);
            copy[at] = (char)byte;
            int dash = at == 8 || at == 13 || at == 18 || at == 23;
            int hex = (byte >= '0' && byte <= '9') || (byte >= 'a' && byte <= 'f') || (byte >= 'A' && byte <= 'F');
            int valid = dash ? byte == '-' : hex;
            memset(out, 0xAA, sizeof out);
            int got = kusto_guid_bytes(copy, 36, out);
            int value = dash ? 0 : hex ? (byte <= '9' ? byte - '0' : (byte | 0x20) - 'a' + 10) : 0;
            int place = at - (at > 8) - (at > 13) - (at > 18) - (at > 23);
            int nibble = dash || !hex ? 0 : (place % 2 ? out[place / 2] & 15 : out[place / 2] >> 4);
            wrong += got != valid || got != kusto_guid_text_valid(copy, 36) || (got && !dash && nibble != value) ||
                     (!got && out[0] != 0xAA);
        }
    }
    CHECK_INT(wrong, 0);
}

int main(void) {
    test_type_names();
    test_datetime_parse();
    test_datetime_every_layout();
    test_datetime_format();
    test_timespan_parse();
    test_timespan_format();
    test_guid_bytes();
    CHECK_DONE();
}

/* Kusto scalar types: names, and exact conversions of datetime and timespan text to 100 ns ticks. */
#include <string.h>

#include "buf.h"
#include "parser.h"

#define TICKS_PER_MINUTE (60 * KUSTO_TICKS_PER_SECOND)
#define TICKS_PER_HOUR (60 * TICKS_PER_MINUTE)
#define TICKS_PER_DAY (24 * TICKS_PER_HOUR)
/* 9999-12-31T23:59:59.9999999Z */
#define MAX_DATETIME_TICKS INT64_C(3155378975999999999)
/* TimeSpan.MaxValue is 10675199.02:48:05.4775807 = INT64_MAX ticks. */
#define MAX_TIMESPAN_DAYS 10675199

static const char *const type_names[] = {
    "unknown", "bool", "int", "long", "real", "decimal", "string", "datetime", "timespan", "guid", "dynamic",
};

const char *kusto_type_name(kusto_type type) {
    if ((unsigned)type >= sizeof type_names / sizeof *type_names) return "unknown";
    return type_names[type];
}

/* Kusto names, their aliases and the CLR names of v1 DataType. */
static const struct {
    const char *name;
    kusto_type type;
} type_aliases[] = {
    {"bool", KUSTO_TYPE_BOOL},         {"boolean", KUSTO_TYPE_BOOL},    {"sbyte", KUSTO_TYPE_BOOL},
    {"int", KUSTO_TYPE_INT},           {"int32", KUSTO_TYPE_INT},       {"int16", KUSTO_TYPE_INT},
    {"byte", KUSTO_TYPE_INT},          {"uint16", KUSTO_TYPE_INT},      {"long", KUSTO_TYPE_LONG},
    {"int64", KUSTO_TYPE_LONG},        {"uint32", KUSTO_TYPE_LONG},     {"uint64", KUSTO_TYPE_LONG},
    {"real", KUSTO_TYPE_REAL},         {"double", KUSTO_TYPE_REAL},     {"float", KUSTO_TYPE_REAL},
    {"single", KUSTO_TYPE_REAL},       {"decimal", KUSTO_TYPE_DECIMAL}, {"string", KUSTO_TYPE_STRING},
    {"datetime", KUSTO_TYPE_DATETIME}, {"date", KUSTO_TYPE_DATETIME},   {"timespan", KUSTO_TYPE_TIMESPAN},
    {"time", KUSTO_TYPE_TIMESPAN},     {"guid", KUSTO_TYPE_GUID},       {"uuid", KUSTO_TYPE_GUID},
    {"uniqueid", KUSTO_TYPE_GUID},     {"dynamic", KUSTO_TYPE_DYNAMIC}, {"object", KUSTO_TYPE_DYNAMIC},
};

kusto_type kusto_type_from_name(const char *name) {
    if (!name) return KUSTO_TYPE_UNKNOWN;
    if (strncmp(name, "System.", 7) == 0) name += 7;
    for (size_t i = 0; i < sizeof type_aliases / sizeof *type_aliases; i++)
        if (kusto_strcasecmp(name, type_aliases[i].name) == 0) return type_aliases[i].type;
    return KUSTO_TYPE_UNKNOWN;
}

/* ---- guid and decimal text ---------------------------------------------------------------------- */

static int is_digit(char c) { return c >= '0' && c <= '9'; }

#define EACH_BYTE(x) (UINT64_C(0x0101010101010101) * (x))

/* Eight bytes of text as a word whose lowest byte is the first (on any host). */
static uint64_t text_word(const char *text) {
    uint64_t w;
    memcpy(&w, text, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

static uint64_t text_halves(const char *low, const char *high) {
    uint32_t a, b;
    memcpy(&a, low, 4);
    memcpy(&b, high, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    a = __builtin_bswap32(a);
    b = __builtin_bswap32(b);
#endif
    return (uint64_t)b << 32 | a;
}

/* Eight hex digits (a text_word) to the four bytes they spell, all eight at once; any other byte sets bits in
   *bad. The sums cannot carry from one byte into the next while every byte is below 0x80. */
static inline uint32_t hex8(uint64_t w, uint64_t *bad) {
    uint64_t lower = w | EACH_BYTE(0x20);
    uint64_t digit = (w + EACH_BYTE(0x80 - '0')) & ~(w + EACH_BYTE(0x7F - '9'));
    uint64_t letter = (lower + EACH_BYTE(0x80 - 'a')) & ~(lower + EACH_BYTE(0x7F - 'f'));
    *bad |= (w & EACH_BYTE(0x80)) | (~(digit | letter) & EACH_BYTE(0x80));
    uint64_t v = (w & EACH_BYTE(0x0F)) + ((w & EACH_BYTE(0x40)) >> 6) * 9; /* 'a'..'f' and 'A'..'F' have 0x40 */
    uint64_t pairs = (v & UINT64_C(0x000F000F000F000F)) << 4 | (v >> 8 & UINT64_C(0x000F000F000F000F));
    uint64_t quads = (pairs | pairs >> 8) & UINT64_C(0x0000FFFF0000FFFF);
    return (uint32_t)(quads | quads >> 16);
}

static void put_bytes(uint8_t *out, uint32_t bytes) {
    out[0] = (uint8_t)bytes;
    out[1] = (uint8_t)(bytes >> 8);
    out[2] = (uint8_t)(bytes >> 16);
    out[3] = (uint8_t)(bytes >> 24);
}

int kusto_guid_bytes(const char *text, size_t len, uint8_t out[16]) {
    if (len != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-') return 0;
    uint64_t bad = 0;
    uint32_t a = hex8(text_word(text), &bad), b = hex8(text_halves(text + 9, text + 14), &bad);
    uint32_t c = hex8(text_halves(text + 19, text + 24), &bad), d = hex8(text_word(text + 28), &bad);
    if (bad) return 0;
    put_bytes(out, a);
    put_bytes(out + 4, b);
    put_bytes(out + 8, c);
    put_bytes(out + 12, d);
    return 1;
}

int kusto_guid_text_valid(const char *text, size_t len) {
    uint8_t bytes[16];
    return kusto_guid_bytes(text, len, bytes);
}

static size_t digits_at(const char *text, size_t len, size_t pos) {
    size_t start = pos;
    while (pos < len && is_digit(text[pos])) pos++;
    return pos - start;
}

int kusto_decimal_text_valid(const char *text, size_t len) {
    size_t pos = len && (text[0] == '-' || text[0] == '+');
    size_t whole = digits_at(text, len, pos), fraction = 0;
    pos += whole;
    if (pos < len && text[pos] == '.') {
        fraction = digits_at(text, len, pos + 1);
        pos += 1 + fraction;
    }
    if (whole + fraction == 0) return 0;
    if (pos < len && (text[pos] == 'e' || text[pos] == 'E')) {
        pos += 1 + (pos + 1 < len && (text[pos + 1] == '-' || text[pos + 1] == '+'));
        size_t exponent = digits_at(text, len, pos);
        if (exponent == 0) return 0;
        pos += exponent;
    }
    return pos == len;
}

/* ---- reading fixed-width digits ---------------------------------------------------------------- */

/* Reads exactly `width` digits at s[*pos]; -1 when they are not all digits or the text is short. */
static int64_t read_digits(const char *s, size_t len, size_t *pos, size_t width) {
    if (*pos + width > len) return -1;
    int64_t v = 0;
    for (size_t i = 0; i < width; i++) {
        char c = s[*pos + i];
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
    }
    *pos += width;
    return v;
}

static int expect_char(const char *s, size_t len, size_t *pos, char c) {
    if (*pos >= len || s[*pos] != c) return -1;
    (*pos)++;
    return 0;
}

/* ".f{1,7}" scaled to ticks by its digit count (".099" is 990000 ticks); 0 when there is no '.'.
   Returns -1 for a '.' without digits or more than 7 digits. */
static inline int64_t read_fraction(const char *s, size_t len, size_t *pos) {
    if (*pos >= len || s[*pos] != '.') return 0;
    (*pos)++;
    int64_t v = 0;
    size_t digits = 0;
    while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9') {
        if (++digits > 7) return -1;
        v = v * 10 + (s[(*pos)++] - '0');
    }
    if (digits == 0) return -1;
    for (; digits < 7; digits++) v *= 10;
    return v;
}

/* hh:mm:ss[.fffffff] as ticks, hours below 24; -1 when malformed. */
static int64_t read_clock(const char *s, size_t len, size_t *pos) {
    int64_t h = read_digits(s, len, pos, 2);
    if (h < 0 || h > 23 || expect_char(s, len, pos, ':')) return -1;
    int64_t m = read_digits(s, len, pos, 2);
    if (m < 0 || m > 59 || expect_char(s, len, pos, ':')) return -1;
    int64_t sec = read_digits(s, len, pos, 2);
    if (sec < 0 || sec > 59) return -1;
    int64_t frac = read_fraction(s, len, pos);
    if (frac < 0) return -1;
    return h * TICKS_PER_HOUR + m * TICKS_PER_MINUTE + sec * KUSTO_TICKS_PER_SECOND + frac;
}

/* ---- calendar ------------------------------------------------------------------------------------ */

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int64_t y, int64_t m) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days from 0001-01-01 to the first day of year y (proleptic Gregorian). */
static int64_t days_before_year(int64_t y) {
    y -= 1;
    return y * 365 + y / 4 - y / 100 + y / 400;
}

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    int64_t days = days_before_year(y);
    for (int64_t i = 1; i < m; i++) days += days_in_month(y, i);
    return days + d - 1;
}

/* Two digits at s: 0..99, or -1. */
static inline int two_digits(const char *s) {
    unsigned a = (unsigned)(s[0] - '0'), b = (unsigned)(s[1] - '0');
    return a > 9 || b > 9 ? -1 : (int)(a * 10 + b);
}

/* Days before month m (1-12) of a year that is not leap. */
static const int days_before_month[] = {0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};

/* The layout the service sends, "yyyy-mm-ddThh:mm:ss[.f{1,7}][Z]", without the general reader's
   steps; -1 when the text is laid out otherwise (the general reader then decides). */
static int datetime_usual(const char *s, size_t len, int64_t *ticks) {
    if (len < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') return -1;
    int y_hi = two_digits(s), y_lo = two_digits(s + 2), m = two_digits(s + 5), d = two_digits(s + 8);
    int h = two_digits(s + 11), mi = two_digits(s + 14), sec = two_digits(s + 17);
    if (y_hi < 0 || y_lo < 0 || m < 1 || m > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
        return -1;
    int64_t y = y_hi * 100 + y_lo;
    if (y < 1 || d > days_in_month(y, m)) return -1;
    size_t pos = 19;
    int64_t frac = read_fraction(s, len, &pos);
    if (frac < 0) return -1;
    if (pos < len && s[pos] == 'Z') pos++;
    if (pos != len) return -1;
    int64_t days = days_before_year(y) + days_before_month[m] + (m > 2 && is_leap(y)) + d - 1;
    *ticks = days * TICKS_PER_DAY + h * TICKS_PER_HOUR + mi * TICKS_PER_MINUTE + sec * KUSTO_TICKS_PER_SECOND + frac;
    return 0;
}

kusto_status kusto_datetime_parse(const char *text, size_t len, int64_t *ticks) {
    if (datetime_usual(text, len, ticks) == 0) return KUSTO_OK;
    size_t pos = 0;
    int64_t y = read_digits(text, len, &pos, 4);
    if (y < 1 || expect_char(text, len, &pos, '-')) return KUSTO_E_ARGUMENT;
    int64_t m = read_digits(text, len, &pos, 2);
    if (m < 1 || m > 12 || expect_char(text, len, &pos, '-')) return KUSTO_E_ARGUMENT;
    int64_t d = read_digits(text, len, &pos, 2);
    if (d < 1 || d > days_in_month(y, m) || expect_char(text, len, &pos, 'T')) return KUSTO_E_ARGUMENT;
    int64_t clock = read_clock(text, len, &pos);
    if (clock < 0) return KUSTO_E_ARGUMENT;
    if (pos < len && text[pos] == 'Z') pos++;
    if (pos != len) return KUSTO_E_ARGUMENT;
    *ticks = days_from_civil(y, m, d) * TICKS_PER_DAY + clock;
    return KUSTO_OK;
}

/* ---- formatting ---------------------------------------------------------------------------------- */

/* `value` as exactly `width` decimal digits, zero-padded; returns the end. */
static char *put_digits(char *p, uint64_t value, int width) {
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + value % 10);
        value /= 10;
    }
    return p + width;
}

static int decimal_width(uint64_t value) {
    int width = 1;
    while (value >= 10) {
        value /= 10;
        width++;
    }
    return width;
}

/* "hh:mm:ss" of the ticks into a day. */
static char *put_clock(char *p, uint64_t clock) {
    p = put_digits(p, clock / (uint64_t)TICKS_PER_HOUR, 2);
    *p++ = ':';
    p = put_digits(p, clock / (uint64_t)TICKS_PER_MINUTE % 60, 2);
    *p++ = ':';
    return put_digits(p, clock / (uint64_t)KUSTO_TICKS_PER_SECOND % 60, 2);
}

size_t kusto_datetime_format(int64_t ticks, char *buf) {
    if (ticks < 0 || ticks > MAX_DATETIME_TICKS) {
        buf[0] = '\0';
        return 0;
    }
    int64_t days = ticks / TICKS_PER_DAY, clock = ticks % TICKS_PER_DAY;
    int64_t y = days / 366 + 1; /* an underestimate; walk forward */
    while (days_before_year(y + 1) <= days) y++;
    days -= days_before_year(y);
    int64_t m = 1;
    while (days >= days_in_month(y, m)) days -= days_in_month(y, m++);
    char *p = buf;
    p = put_digits(p, (uint64_t)y, 4);
    *p++ = '-';
    p = put_digits(p, (uint64_t)m, 2);
    *p++ = '-';
    p = put_digits(p, (uint64_t)days + 1, 2);
    *p++ = 'T';
    p = put_clock(p, (uint64_t)clock);
    *p++ = '.';
    p = put_digits(p, (uint64_t)(clock % KUSTO_TICKS_PER_SECOND), 7);
    *p++ = 'Z';
    *p = '\0';
    return (size_t)(p - buf);
}

/* ---- timespan ------------------------------------------------------------------------------------ */

/* The "d." prefix: digits then '.', only when a '.' comes before the first ':'. */
static int64_t read_days(const char *s, size_t len, size_t *pos) {
    size_t dot = *pos;
    while (dot < len && s[dot] >= '0' && s[dot] <= '9') dot++;
    if (dot >= len || s[dot] != '.') return 0;
    if (dot == *pos || dot - *pos > 8) return -1;
    int64_t days = read_digits(s, len, pos, dot - *pos);
    (*pos)++;
    return days > MAX_TIMESPAN_DAYS ? -1 : days;
}

kusto_status kusto_timespan_parse(const char *text, size_t len, int64_t *ticks) {
    size_t pos = 0;
    int negative = len > 0 && text[0] == '-';
    pos += (size_t)negative;
    int64_t days = read_days(text, len, &pos);
    if (days < 0) return KUSTO_E_ARGUMENT;
    int64_t clock = read_clock(text, len, &pos);
    if (clock < 0 || pos != len) return KUSTO_E_ARGUMENT;
    /* days <= 10675199, so the sum fits in uint64 before the range check. */
    uint64_t magnitude = (uint64_t)days * (uint64_t)TICKS_PER_DAY + (uint64_t)clock;
    if (magnitude > (uint64_t)INT64_MAX + (uint64_t)negative) return KUSTO_E_ARGUMENT;
    *ticks = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
    return KUSTO_OK;
}

size_t kusto_timespan_format(int64_t ticks, char *buf) {
    uint64_t magnitude = ticks < 0 ? 0 - (uint64_t)ticks : (uint64_t)ticks;
    uint64_t days = magnitude / (uint64_t)TICKS_PER_DAY, clock = magnitude % (uint64_t)TICKS_PER_DAY;
    uint64_t fraction = clock % (uint64_t)KUSTO_TICKS_PER_SECOND;
    char *p = buf;
    if (ticks < 0) *p++ = '-';
    if (days) {
        p = put_digits(p, days, decimal_width(days));
        *p++ = '.';
    }
    p = put_clock(p, clock);
    if (fraction) {
        *p++ = '.';
        p = put_digits(p, fraction, 7);
    }
    *p = '\0';
    return (size_t)(p - buf);
}

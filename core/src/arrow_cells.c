/* One Kusto value into an Arrow column: the conversions of the Arrow builder (arrow.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow.h"
#include "buf.h"
#include "parser.h"

#define NS_PER_TICK 100

static int utf8_append(column_builder *c, const char *ptr, size_t len) {
    if (len > (size_t)INT32_MAX - c->data_len) return -1; /* cannot happen: a batch ends at 1 GiB (arrow.c) */
    if (c->data_len + len > c->data_cap) {
        size_t cap = c->data_cap ? c->data_cap : c->next_cap > 4096 ? c->next_cap + c->next_cap / 8 : 4096;
        while (cap < c->data_len + len) cap *= 2;
        uint8_t *data = realloc(c->data, cap);
        if (!data) return -1;
        c->data = data;
        c->data_cap = cap;
    }
    if (len) memcpy(c->data + c->data_len, ptr, len);
    c->data_len += len;
    return 0;
}

/* Shortest text that reads back as the same double; JSON's spellings for the non-finite ones. */
static size_t real_text(double r, char *buf, size_t size) {
    if (isnan(r)) return (size_t)snprintf(buf, size, "NaN");
    if (isinf(r)) return (size_t)snprintf(buf, size, r > 0 ? "Infinity" : "-Infinity");
    for (int digits = 15; digits <= 17; digits++) {
        int n = snprintf(buf, size, "%.*g", digits, r);
        if (strtod(buf, NULL) == r) return (size_t)n;
    }
    return strlen(buf);
}

int kusto_arrow_utf8_cell(column_builder *c, const kusto_value *v) {
    char buf[48];
    size_t len = 0;
    int json = c->type == KUSTO_TYPE_DYNAMIC;
    switch (v->kind) {
    case KUSTO_VALUE_STRING:
    case KUSTO_VALUE_DATETIME:
    case KUSTO_VALUE_TIMESPAN:
    case KUSTO_VALUE_GUID:
        if (v->kind == KUSTO_VALUE_DATETIME) len = kusto_datetime_format(v->u.ticks, buf);
        if (v->kind == KUSTO_VALUE_TIMESPAN) len = kusto_timespan_format(v->u.ticks, buf);
        const char *ptr = v->kind == KUSTO_VALUE_STRING || v->kind == KUSTO_VALUE_GUID ? v->u.text.ptr : buf;
        if (v->kind == KUSTO_VALUE_STRING || v->kind == KUSTO_VALUE_GUID) len = v->u.text.len;
        if (!json) return utf8_append(c, ptr, len);
        kusto_buf quoted = {0};
        int rc = kusto_buf_json_string(&quoted, ptr, len) < 0 ? -1 : utf8_append(c, quoted.data, quoted.len);
        kusto_buf_free(&quoted);
        return rc;
    case KUSTO_VALUE_DECIMAL:
    case KUSTO_VALUE_JSON: return utf8_append(c, v->u.text.ptr, v->u.text.len);
    case KUSTO_VALUE_INT: len = (size_t)snprintf(buf, sizeof buf, "%lld", (long long)v->u.i); break;
    case KUSTO_VALUE_REAL: len = real_text(v->u.r, buf, sizeof buf); break;
    case KUSTO_VALUE_BOOL: len = (size_t)snprintf(buf, sizeof buf, "%s", v->u.b ? "true" : "false"); break;
    default: return 0;
    }
    return utf8_append(c, buf, len);
}

/* Whether every byte is ASCII: a word at a time, the last word overlapping the one before. */
static int all_ascii(const uint8_t *s, size_t n) {
    uint64_t any = 0, word;
    if (n < 8) {
        for (size_t i = 0; i < n; i++) any |= s[i];
        return !(any & 0x80);
    }
    for (size_t i = 0; i + 8 <= n; i += 8) {
        memcpy(&word, s + i, 8);
        any |= word;
    }
    memcpy(&word, s + n - 8, 8);
    return !((any | word) & UINT64_C(0x8080808080808080));
}

int kusto_arrow_utf8_valid(const uint8_t *s, size_t n) {
    if (all_ascii(s, n)) return 1;
    size_t i = 0;
    while (i < n) {
        uint64_t word;
        if (i + 8 <= n && (memcpy(&word, s + i, 8), (word & UINT64_C(0x8080808080808080)) == 0)) {
            i += 8;
            continue;
        }
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (!len || i + len > n) return 0;
        uint32_t cp = c & (0x7F >> len);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        i += len;
    }
    return 1;
}

const char KUSTO_ARROW_NOT_UTF8[] = "text that is not valid UTF-8, null in the Arrow column";
static const char MISFIT[] = "a cell delivered in another form than its column's type, null in the Arrow column";
static const char OUT_OF_NS[] = "a value outside Arrow's int64 nanoseconds (1677-09-21..2262-04-11), null";
static const char OUT_OF_INT32[] = "an integer outside int32 in an int column, null in the Arrow column";

int kusto_arrow_fixed_cell(column_builder *c, size_t row, const kusto_value *v, const char **reason) {
    *reason = MISFIT;
    switch (c->type) {
    case KUSTO_TYPE_LONG:
        if (v->kind != KUSTO_VALUE_INT) return 1;
        ((int64_t *)c->data)[row] = v->u.i;
        return 0;
    case KUSTO_TYPE_INT:
        if (v->kind != KUSTO_VALUE_INT) return 1;
        *reason = OUT_OF_INT32;
        if (v->u.i < INT32_MIN || v->u.i > INT32_MAX) return 1;
        ((int32_t *)c->data)[row] = (int32_t)v->u.i;
        return 0;
    case KUSTO_TYPE_REAL:
        if (v->kind != KUSTO_VALUE_REAL && v->kind != KUSTO_VALUE_INT) return 1;
        ((double *)c->data)[row] = v->kind == KUSTO_VALUE_REAL ? v->u.r : (double)v->u.i;
        return 0;
    case KUSTO_TYPE_BOOL:
        if (v->kind != KUSTO_VALUE_BOOL) return 1;
        if (v->u.b) kusto_arrow_set_bit(c->data, row);
        return 0;
    case KUSTO_TYPE_GUID:
        return v->kind != KUSTO_VALUE_GUID || !kusto_guid_bytes(v->u.text.ptr, v->u.text.len, c->data + 16 * row);
    case KUSTO_TYPE_DATETIME:
    case KUSTO_TYPE_TIMESPAN: {
        kusto_value_kind kind = c->type == KUSTO_TYPE_DATETIME ? KUSTO_VALUE_DATETIME : KUSTO_VALUE_TIMESPAN;
        if (v->kind != kind) return 1;
        int64_t ticks = v->u.ticks, ns;
        if (c->ticks) {
            ((int64_t *)c->data)[row] = ticks;
            return 0;
        }
        *reason = OUT_OF_NS;
        if (kind == KUSTO_VALUE_DATETIME && __builtin_sub_overflow(ticks, KUSTO_UNIX_EPOCH_TICKS, &ticks)) return 1;
        if (__builtin_mul_overflow(ticks, (int64_t)NS_PER_TICK, &ns)) return 1;
        ((int64_t *)c->data)[row] = ns;
        return 0;
    }
    default: return 1;
    }
}

void kusto_arrow_excerpt(const kusto_value *v, char *buf, size_t size) {
    switch (v->kind) {
    case KUSTO_VALUE_INT: snprintf(buf, size, "%lld", (long long)v->u.i); break;
    case KUSTO_VALUE_REAL: real_text(v->u.r, buf, size); break;
    case KUSTO_VALUE_BOOL: snprintf(buf, size, "%s", v->u.b ? "true" : "false"); break;
    case KUSTO_VALUE_DATETIME: kusto_datetime_format(v->u.ticks, buf); break;
    case KUSTO_VALUE_TIMESPAN: kusto_timespan_format(v->u.ticks, buf); break;
    case KUSTO_VALUE_NULL: snprintf(buf, size, "null"); break;
    default: snprintf(buf, size, "%.*s", (int)(v->u.text.len > 40 ? 40 : v->u.text.len), v->u.text.ptr);
    }
    if (v->kind == KUSTO_VALUE_DATETIME && !buf[0]) snprintf(buf, size, "%lld ticks", (long long)v->u.ticks);
}

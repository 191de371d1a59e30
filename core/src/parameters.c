/* Typed query parameters: Kusto identifiers, each type's KQL literal, and the query text sent with them
   (`declare query_parameters(...)` put after the leading `set` statements). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow.h"
#include "error.h"
#include "jsonread.h"
#include "request.h"

#define DYNAMIC_MAX_DEPTH 100

static int is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

static int is_identifier(const char *name) {
    if (!name || !is_ident_start(*name)) return 0;
    while (is_ident_char(*name)) name++;
    return *name == '\0';
}

/* Sets `literal` (taken over) after checking the name; `problem` non-NULL: the value cannot be sent. */
static kusto_status put(kusto_request *req, const char *name, const char *type, char *literal, const char *problem,
                        kusto_error **err) {
    if (!req || !is_identifier(name) || problem) {
        free(literal);
        if (!req) return kusto_fail(err, KUSTO_E_ARGUMENT, "no request given");
        if (!is_identifier(name))
            return kusto_fail(err, KUSTO_E_ARGUMENT, "query parameter name \"%.64s\" is not a Kusto identifier",
                              name ? name : "(null)");
        return kusto_fail(err, KUSTO_E_ARGUMENT, "query parameter %s: %s", name, problem);
    }
    if (!literal) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    kusto_status status = kusto_request_put_typed(req, name, type, literal);
    return status == KUSTO_OK ? status : kusto_fail(err, status, "out of memory");
}

static char *printed(const char *fmt, const char *text) {
    kusto_buf b = {0};
    return kusto_buf_printf(&b, fmt, text) ? NULL : kusto_buf_take(&b);
}

kusto_status kusto_request_set_parameter_long(kusto_request *req, const char *name, int64_t value, kusto_error **err) {
    char text[24];
    snprintf(text, sizeof text, "%lld", (long long)value);
    return put(req, name, "long", kusto_strdup(text), NULL, err);
}

kusto_status kusto_request_set_parameter_bool(kusto_request *req, const char *name, int value, kusto_error **err) {
    return put(req, name, "bool", kusto_strdup(value ? "true" : "false"), NULL, err);
}

/* The shortest "%.*g" text that reads back as `value`, with '.' whatever the locale. */
static void shortest_real(double value, char *text, size_t size) {
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(text, size, "%.*g", precision, value);
        for (char *p = text; *p; p++)
            if (*p == ',') *p = '.';
        double back;
        if (kusto_jr_double(text, strlen(text), &back) == 0 && back == value) return;
    }
}

kusto_status kusto_request_set_parameter_real(kusto_request *req, const char *name, double value, kusto_error **err) {
    char text[40];
    if (isnan(value)) strcpy(text, "nan");
    else if (isinf(value)) strcpy(text, value > 0 ? "+inf" : "-inf");
    else shortest_real(value, text, sizeof text);
    return put(req, name, "real", printed("real(%s)", text), NULL, err);
}

kusto_status kusto_request_set_parameter_string(kusto_request *req, const char *name, const char *value, size_t len,
                                                kusto_error **err) {
    if (!value || !kusto_arrow_utf8_valid((const uint8_t *)value, len))
        return put(req, name, "string", NULL, value ? "the string is not valid UTF-8" : "no value given", err);
    kusto_buf b = {0};
    char *literal = kusto_buf_json_string(&b, value, len) ? (kusto_buf_free(&b), NULL) : kusto_buf_take(&b);
    return put(req, name, "string", literal, NULL, err);
}

kusto_status kusto_request_set_parameter_datetime(kusto_request *req, const char *name, int64_t ticks,
                                                  kusto_error **err) {
    char text[40];
    const char *problem = kusto_datetime_format(ticks, text) ? NULL : "the datetime is outside 0001-01-01..9999-12-31";
    return put(req, name, "datetime", problem ? NULL : printed("datetime(%s)", text), problem, err);
}

kusto_status kusto_request_set_parameter_timespan(kusto_request *req, const char *name, int64_t ticks,
                                                  kusto_error **err) {
    char text[40];
    kusto_timespan_format(ticks, text);
    return put(req, name, "timespan", printed("timespan(%s)", text), NULL, err);
}

static int is_guid(const char *text) {
    static const char pattern[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    for (size_t i = 0; i < sizeof pattern - 1; i++)
        if (pattern[i] == '-' ? text[i] != '-' : !is_hex(text[i])) return 0;
    return text[sizeof pattern - 1] == '\0';
}

kusto_status kusto_request_set_parameter_guid(kusto_request *req, const char *name, const char *text,
                                              kusto_error **err) {
    if (!text || !is_guid(text))
        return put(req, name, "guid", NULL,
                   "a guid must read xxxxxxxx-xxxx-xxxx-xxxx-"
                   "xxxxxxxxxxxx (hex digits)",
                   err);
    char *literal = printed("guid(%s)", text);
    for (char *p = literal ? literal : ""; *p; p++)
        if (*p >= 'A' && *p <= 'F') *p = (char)(*p - 'A' + 'a');
    return put(req, name, "guid", literal, NULL, err);
}

/* [+-]digits[.digits] or [+-].digits */
static int is_decimal(const char *p) {
    if (*p == '+' || *p == '-') p++;
    size_t whole = 0, fraction = 0;
    while (is_digit(*p)) p++, whole++;
    if (*p == '.')
        for (p++; is_digit(*p); p++) fraction++;
    return *p == '\0' && whole + fraction > 0;
}

kusto_status kusto_request_set_parameter_decimal(kusto_request *req, const char *name, const char *text,
                                                 kusto_error **err) {
    if (!text || !is_decimal(text))
        return put(req, name, "decimal", NULL,
                   "Kusto's decimal has no NaN, infinity or exponent: write digits with an optional sign "
                   "and '.'",
                   err);
    return put(req, name, "decimal", printed("decimal(%s)", text), NULL, err);
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int is_json_number(const char *p, size_t len) {
    const char *end = p + len;
    if (p < end && *p == '-') p++;
    if (p < end && *p == '0') p++;
    else if (p < end && is_digit(*p))
        while (p < end && is_digit(*p)) p++;
    else return 0;
    if (p < end && *p == '.') {
        if (++p >= end || !is_digit(*p)) return 0;
        while (p < end && is_digit(*p)) p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        if (++p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || !is_digit(*p)) return 0;
        while (p < end && is_digit(*p)) p++;
    }
    return p == end;
}

/* Appends a JSON string's value as a KQL string literal (only the escapes KQL and JSON share). */
static int write_string(kusto_buf *out, const kusto_jr_token *t) {
    if (!t->escaped) return kusto_buf_json_string(out, t->ptr, t->len) ? -2 : 0;
    kusto_buf text = {0};
    int failed = kusto_jr_unescape(&text, t->ptr, t->len)                         ? -1
               : kusto_buf_json_string(out, text.data ? text.data : "", text.len) ? -2
                                                                                  : 0;
    kusto_buf_free(&text);
    return failed;
}

/* Re-writes one JSON value compactly with strings re-escaped: 0; -1 when it is not JSON; -2 out of memory. */
static int write_json(kusto_jr *r, kusto_buf *out, int depth) {
    kusto_jr_token t;
    if (depth > DYNAMIC_MAX_DEPTH || kusto_jr_token_read(r, &t)) return -1;
    if (t.kind == KUSTO_JR_STRING) return write_string(out, &t);
    if (t.kind == KUSTO_JR_NUMBER && !is_json_number(t.ptr, t.len)) return -1;
    if (t.kind != KUSTO_JR_ARRAY && t.kind != KUSTO_JR_OBJECT)
        return kusto_buf_append(out, t.start, (size_t)(r->p - t.start)) ? -2 : 0;
    char close = t.kind == KUSTO_JR_ARRAY ? ']' : '}';
    size_t count = 0;
    int more = 0, failed = kusto_jr_open(r, t.kind == KUSTO_JR_ARRAY ? '[' : '{') ? -1
                         : kusto_buf_append(out, t.start, 1)                      ? -2
                                                                                  : 0;
    while (!failed && (more = kusto_jr_next(r, close, &count)) == 1) {
        if (count > 1 && kusto_buf_puts(out, ",")) return -2;
        if (t.kind == KUSTO_JR_OBJECT) {
            kusto_jr_token key;
            if (kusto_jr_key(r, &key)) return -1;
            failed = write_string(out, &key);
            if (!failed && kusto_buf_puts(out, ":")) failed = -2;
        }
        if (!failed) failed = write_json(r, out, depth + 1);
    }
    if (failed) return failed;
    return more < 0 ? -1 : kusto_buf_append(out, &close, 1) ? -2 : 0;
}

kusto_status kusto_request_set_parameter_dynamic(kusto_request *req, const char *name, const char *json, size_t len,
                                                 kusto_error **err) {
    kusto_buf b = {0};
    kusto_jr r = {json, json ? json + len : NULL};
    int failed = !json || !kusto_arrow_utf8_valid((const uint8_t *)json, len) ? -1
               : kusto_buf_puts(&b, "dynamic(")                               ? -2
                                                                              : write_json(&r, &b, 0);
    if (!failed) failed = kusto_jr_peek(&r) != -1 ? -1 : kusto_buf_puts(&b, ")") ? -2 : 0;
    if (failed) kusto_buf_free(&b);
    return put(req, name, "dynamic", failed ? NULL : kusto_buf_take(&b),
               failed == -1 ? "the value is not one JSON value" : NULL, err);
}

/* ---- the query text ------------------------------------------------------------------------------ */

static int starts(const char *p, const char *prefix) { return strncmp(p, prefix, strlen(prefix)) == 0; }

const char *kusto_kql_skip_blank(const char *p) {
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
        if (!starts(p, "//")) return p;
        p += strcspn(p, "\n");
    }
}

/* Past the string literal at p ("...", '...', @"...", @'...', ```...```, ~~~...~~~), or p + 1 when none
   starts there; an unclosed literal runs to the end. */
static const char *skip_token(const char *p) {
    if (starts(p, "```") || starts(p, "~~~")) {
        const char *close = strstr(p + 3, p[0] == '`' ? "```" : "~~~");
        return close ? close + 3 : p + strlen(p);
    }
    int verbatim = *p == '@' && (p[1] == '"' || p[1] == '\'');
    char quote = p[verbatim];
    if (quote != '"' && quote != '\'') return p + 1;
    for (p += verbatim + 1; *p; p++) {
        if (!verbatim && *p == '\\' && p[1]) p++;
        else if (*p == quote && !(verbatim && p[1] == quote)) return p + 1;
        else if (verbatim && *p == quote) p++;
    }
    return p;
}

static int is_word_at(const char *text, const char *p, const char *word) {
    size_t n = strlen(word);
    return (p == text || !is_ident_char(p[-1])) && strncmp(p, word, n) == 0 && !is_ident_char(p[n]);
}

/* Where the first statement that is not a `set` statement starts. */
static const char *after_set_statements(const char *csl) {
    const char *p = kusto_kql_skip_blank(csl);
    while (is_word_at(csl, p, "set")) {
        while (*p && *p != ';') p = skip_token(p);
        if (!*p) return p;
        p = kusto_kql_skip_blank(p + 1);
    }
    return p;
}

/* 1 when the text has a `declare query_parameters` statement (outside strings and comments). */
static int declares_parameters(const char *csl) {
    for (const char *p = csl; *p;) {
        if (starts(p, "//")) {
            p += strcspn(p, "\n");
        } else if (is_word_at(csl, p, "declare")) {
            const char *next = kusto_kql_skip_blank(p + 7);
            if (next > p + 7 && is_word_at(csl, next, "query_parameters")) return 1;
            p = next;
        } else {
            p = skip_token(p);
        }
    }
    return 0;
}

kusto_status kusto_request_write_query_text(const kusto_request *req, int control, const char *csl, kusto_buf *out,
                                            kusto_error **err) {
    int typed = kusto_request_has_typed_parameters(req), failed;
    if (typed && control)
        return kusto_fail(err, KUSTO_E_ARGUMENT, "typed query parameters do not go with a control command");
    if (!typed || declares_parameters(csl)) {
        failed = kusto_buf_puts(out, csl);
    } else {
        size_t at = (size_t)(after_set_statements(csl) - csl);
        failed = kusto_buf_append(out, csl, at) || kusto_buf_puts(out, "declare query_parameters(") ||
                 kusto_request_write_declared(req, out) || kusto_buf_puts(out, ");\n") || kusto_buf_puts(out, csl + at);
    }
    return failed ? kusto_fail(err, KUSTO_E_NOMEM, "out of memory") : KUSTO_OK;
}

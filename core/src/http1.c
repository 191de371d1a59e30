/* HTTP/1.1 over a caller's socket: the request's bytes, and a push parser of the answer. */
#include "http1.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "url.h"

#define HEAD_MAX (64 * 1024) /* the status line and headers; the trailers */
#define HEADERS_MAX 100
#define LENGTH_MAX (UINT64_C(1) << 60)

static int is_token(const char *s, size_t len) {
    if (len == 0) return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] <= ' ' || s[i] == ':' || s[i] == 127) return 0;
    return 1;
}

static kusto_status check_header(const char *header, size_t index, kusto_error **err) {
    size_t bad = strcspn(header, "\r\n");
    const char *colon = strchr(header, ':');
    if (!colon || !is_token(header, (size_t)(colon - header)))
        return kusto_fail(err, KUSTO_E_ARGUMENT, "request header %zu is not \"Name: value\"", index);
    if (header[bad]) /* the name only: values hold tokens */
        return kusto_fail(err, KUSTO_E_ARGUMENT, "request header %.*s holds CR or LF", (int)(colon - header), header);
    return KUSTO_OK;
}

static int put_host(kusto_buf *out, const kusto_url *u) {
    int ipv6 = strchr(u->host, ':') != NULL;
    int failed = kusto_buf_printf(out, "Host: %s%s%s", ipv6 ? "[" : "", u->host, ipv6 ? "]" : "");
    if (!failed && u->port) failed = kusto_buf_printf(out, ":%d", u->port);
    return failed || kusto_buf_puts(out, "\r\n");
}

kusto_status kusto_http1_request(kusto_buf *out, const char *method, const char *url, const char *const *headers,
                                 const char *body, size_t body_len, kusto_error **err) {
    if (!out || !method || !is_token(method, strlen(method)))
        return kusto_fail(err, KUSTO_E_ARGUMENT, "the request method is not an HTTP token");
    for (size_t i = 0; headers && headers[i]; i++)
        if (check_header(headers[i], i, err) != KUSTO_OK) return KUSTO_E_ARGUMENT;
    kusto_url u;
    if (kusto_url_parse(&u, url, "the request URL", err) != KUSTO_OK) return KUSTO_E_ARGUMENT;
    int failed = kusto_buf_printf(out, "%s %s%s%s HTTP/1.1\r\n", method, u.path, u.query ? "?" : "",
                                  u.query ? u.query : "") ||
                 put_host(out, &u);
    kusto_url_clear(&u);
    for (size_t i = 0; !failed && headers && headers[i]; i++)
        failed = kusto_buf_puts(out, headers[i]) || kusto_buf_puts(out, "\r\n");
    if (!failed && body) failed = kusto_buf_printf(out, "Content-Length: %zu\r\n", body_len);
    if (!failed) failed = kusto_buf_puts(out, "Connection: keep-alive\r\n\r\n");
    if (!failed && body) failed = kusto_buf_append(out, body, body_len);
    return failed ? kusto_fail(err, KUSTO_E_NOMEM, "out of memory") : KUSTO_OK;
}

/* ------------------------------------------------------------------------------------------------ */

/* clang-format off */
typedef enum {
    STATUS_LINE, HEADER, BODY_LENGTH, BODY_EOF, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILER, DONE, FAILED
} parse_state;
/* clang-format on */

struct kusto_http1_parser {
    kusto_http1_callbacks cb;
    void *ud;
    int head_request;
    parse_state state;
    kusto_buf line;    /* the line being read, without its CR LF */
    size_t line_bytes; /* of the head (or the trailers) so far: at most HEAD_MAX */
    char *headers[HEADERS_MAX + 1];
    size_t n_headers;
    long status;
    int minor; /* HTTP/1.0 or 1.1 */
    int conn_close, conn_keep_alive, chunked, body_until_eof;
    uint64_t length;    /* Content-Length; UINT64_MAX when none */
    uint64_t remaining; /* of the body or the chunk */
};

kusto_http1_parser *kusto_http1_parser_new(const char *method, const kusto_http1_callbacks *cb, void *ud) {
    kusto_http1_parser *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    if (cb) p->cb = *cb;
    p->ud = ud;
    p->head_request = method && strcmp(method, "HEAD") == 0;
    p->length = UINT64_MAX;
    return p;
}

static void clear_head(kusto_http1_parser *p) {
    for (size_t i = 0; i < p->n_headers; i++) free(p->headers[i]);
    memset(p->headers, 0, sizeof p->headers);
    p->n_headers = 0;
    p->conn_close = p->conn_keep_alive = p->chunked = 0;
    p->length = UINT64_MAX;
    p->line_bytes = 0;
}

void kusto_http1_parser_free(kusto_http1_parser *p) {
    if (!p) return;
    clear_head(p);
    kusto_buf_free(&p->line);
    free(p);
}

int kusto_http1_keep_alive(const kusto_http1_parser *p) {
    if (!p || p->state != DONE || p->conn_close || p->body_until_eof) return 0;
    return p->minor == 1 || p->conn_keep_alive;
}

static int fail(kusto_http1_parser *p, kusto_error **err, const char *message) {
    p->state = FAILED;
    kusto_fail(err, KUSTO_E_PROTOCOL, "HTTP/1.1 answer: %s", message);
    return -1;
}

static int out_of_memory(kusto_http1_parser *p, kusto_error **err) {
    p->state = FAILED;
    kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    return -1;
}

/* A callback said stop: the error it set through the caller's slot stays. */
static int stopped(kusto_http1_parser *p, kusto_error **err) {
    p->state = FAILED;
    if (err && !*err) kusto_fail(err, KUSTO_E_CANCELLED, "a callback stopped the HTTP answer");
    return -1;
}

/* Takes bytes up to a LF into p->line: 1 when the line is whole (its CR LF dropped), 0 for more, -1 when
   the line or the head grows past HEAD_MAX, -2 out of memory. */
static int read_line(kusto_http1_parser *p, const char *data, size_t len, size_t *used) {
    const char *lf = memchr(data, '\n', len);
    size_t take = lf ? (size_t)(lf - data) + 1 : len;
    *used = take;
    p->line_bytes += take;
    if (p->line_bytes > HEAD_MAX) return -1;
    if (kusto_buf_append(&p->line, data, lf ? take - 1 : take)) return -2;
    if (!lf) return 0;
    if (p->line.len && p->line.data[p->line.len - 1] == '\r') p->line.len--;
    if (p->line.data) p->line.data[p->line.len] = '\0';
    return 1;
}

static int parse_status(kusto_http1_parser *p, const char *s, kusto_error **err) {
    if (strncmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') || s[8] != ' ')
        return fail(p, err, "the status line is not HTTP/1.0 or HTTP/1.1");
    const char *code = s + 9;
    for (int i = 0; i < 3; i++)
        if (code[i] < '0' || code[i] > '9') return fail(p, err, "the status code is not three digits");
    if ((code[3] != ' ' && code[3] != '\0') || code[0] == '0')
        return fail(p, err, "the status code is not three digits");
    p->minor = s[7] - '0';
    p->status = strtol(code, NULL, 10);
    p->state = HEADER;
    return 0;
}

static int has_token(const char *list, const char *token) {
    size_t n = strlen(token);
    for (const char *s = list; *s;) {
        s += strspn(s, " \t,");
        size_t len = strcspn(s, " \t,");
        if (len == n && strncasecmp(s, token, n) == 0) return 1;
        s += len;
    }
    return 0;
}

static int parse_length(kusto_http1_parser *p, const char *value, kusto_error **err) {
    uint64_t n = 0;
    if (!*value) return fail(p, err, "an empty Content-Length");
    for (const char *s = value; *s; s++) {
        if (*s < '0' || *s > '9') return fail(p, err, "a Content-Length that is not a decimal number");
        n = n * 10 + (uint64_t)(*s - '0');
        if (n > LENGTH_MAX) return fail(p, err, "a Content-Length too large");
    }
    if (p->length != UINT64_MAX && p->length != n) return fail(p, err, "two different Content-Lengths");
    p->length = n;
    return 0;
}

/* The headers the parser itself obeys. */
static int obey_header(kusto_http1_parser *p, const char *name, const char *value, kusto_error **err) {
    if (strcasecmp(name, "Content-Length") == 0) return parse_length(p, value, err);
    if (strcasecmp(name, "Transfer-Encoding") == 0) {
        if (strcasecmp(value, "chunked") != 0) return fail(p, err, "a Transfer-Encoding other than chunked");
        p->chunked = 1;
    } else if (strcasecmp(name, "Content-Encoding") == 0 && strcasecmp(value, "identity") != 0) {
        return fail(p, err, "a Content-Encoding that was not asked for");
    } else if (strcasecmp(name, "Connection") == 0) {
        p->conn_close |= has_token(value, "close");
        p->conn_keep_alive |= has_token(value, "keep-alive");
    }
    return 0;
}

static int parse_header(kusto_http1_parser *p, char *line, kusto_error **err) {
    if (*line == ' ' || *line == '\t') return fail(p, err, "a folded header line");
    char *colon = strchr(line, ':');
    if (!colon || !is_token(line, (size_t)(colon - line))) return fail(p, err, "a header line without a name");
    if (p->n_headers == HEADERS_MAX) return fail(p, err, "more than 100 headers");
    char *value = colon + 1 + strspn(colon + 1, " \t");
    size_t value_len = strlen(value);
    while (value_len && (value[value_len - 1] == ' ' || value[value_len - 1] == '\t')) value_len--;
    value[value_len] = '\0';
    *colon = '\0';
    if (obey_header(p, line, value, err)) return -1;
    kusto_buf kept = {0};
    if (kusto_buf_printf(&kept, "%s: %s", line, value)) return out_of_memory(p, err);
    p->headers[p->n_headers++] = kusto_buf_take(&kept);
    return 0;
}

/* The blank line after the headers: skip an interim 1xx answer, else hand the head on and pick the body. */
static int end_head(kusto_http1_parser *p, kusto_error **err) {
    if (p->status == 101) return fail(p, err, "101 Switching Protocols, never asked for");
    if (p->status < 200) {
        clear_head(p);
        p->state = STATUS_LINE;
        return 0;
    }
    if (p->chunked && p->length != UINT64_MAX) return fail(p, err, "both Content-Length and chunked");
    if (p->cb.head && p->cb.head(p->ud, p->status, (const char *const *)p->headers)) return stopped(p, err);
    p->line_bytes = 0;
    p->remaining = p->length;
    if (p->head_request || p->status == 204 || p->status == 304 || p->length == 0) p->state = DONE;
    else if (p->chunked) p->state = CHUNK_SIZE;
    else if (p->length != UINT64_MAX) p->state = BODY_LENGTH;
    else p->state = BODY_EOF; /* whose end only the close tells */
    return 0;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = (char)(c | 32);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "1a; extension": the extension is ignored. */
static int parse_chunk_size(kusto_http1_parser *p, const char *s, kusto_error **err) {
    uint64_t n = 0;
    size_t digits = 0;
    for (int d; (d = hex_digit(*s)) >= 0; s++, digits++) {
        if (n > LENGTH_MAX >> 4) return fail(p, err, "a chunk size too large");
        n = n * 16 + (uint64_t)d;
    }
    s += strspn(s, " \t");
    if (!digits || (*s && *s != ';')) return fail(p, err, "a chunk size that is not hexadecimal");
    p->remaining = n;
    p->state = n ? CHUNK_DATA : TRAILER;
    p->line_bytes = 0; /* the trailers' bound starts here */
    return 0;
}

/* One whole line, in whichever state reads lines. */
static int take_line(kusto_http1_parser *p, kusto_error **err) {
    char *line = p->line.data ? p->line.data : "";
    if (strlen(line) != p->line.len) return fail(p, err, "a NUL byte in a line");
    p->line.len = 0; /* `line` stays readable until the next append */
    switch (p->state) {
    case STATUS_LINE: return parse_status(p, line, err);
    case HEADER: return *line ? parse_header(p, line, err) : end_head(p, err);
    case CHUNK_SIZE: return parse_chunk_size(p, line, err);
    case CHUNK_END:
        if (*line) return fail(p, err, "chunk data longer than its size");
        p->state = CHUNK_SIZE;
        return 0;
    case TRAILER:
        if (!*line) p->state = DONE;
        return 0;
    default: return 0;
    }
}

static int take_body(kusto_http1_parser *p, const char *data, size_t len, size_t *used, kusto_error **err) {
    size_t take = p->state == BODY_EOF || p->remaining > len ? len : (size_t)p->remaining;
    *used = take;
    if (p->state != BODY_EOF) p->remaining -= take;
    if (take && p->cb.body && p->cb.body(p->ud, data, take)) return stopped(p, err);
    if (p->state != BODY_EOF && p->remaining == 0) p->state = p->state == CHUNK_DATA ? CHUNK_END : DONE;
    return 0;
}

static int step(kusto_http1_parser *p, const char *data, size_t len, size_t *used, kusto_error **err) {
    if (p->state == BODY_LENGTH || p->state == BODY_EOF || p->state == CHUNK_DATA)
        return take_body(p, data, len, used, err);
    int r = read_line(p, data, len, used);
    if (r == -2) return out_of_memory(p, err);
    if (r < 0) return fail(p, err, "the status line and headers (or the trailers) exceed 64 KiB");
    return r ? take_line(p, err) : 0;
}

int kusto_http1_feed(kusto_http1_parser *p, const char *data, size_t len, kusto_error **err) {
    if (p->state == FAILED) {
        if (err && !*err) kusto_fail(err, KUSTO_E_PROTOCOL, "HTTP/1.1 answer: fed after it failed");
        return -1;
    }
    if (len == 0) {
        if (p->state == BODY_EOF) {
            p->state = DONE;
            p->body_until_eof = 1;
        }
        if (p->state == DONE) return 1;
        return fail(p, err, "the connection closed before the answer was whole");
    }
    while (len > 0 && p->state != DONE) {
        size_t used = 0;
        if (step(p, data, len, &used, err)) return -1;
        data += used;
        len -= used;
    }
    if (p->state == DONE && len > 0) return fail(p, err, "bytes past the end of the answer");
    return p->state == DONE;
}

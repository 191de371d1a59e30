/* HTTP/1.1 for socket drivers: the request's bytes, and the answer parser under every chunking. */
#include <stdlib.h>

#include "buf.h"
#include "check.h"
#include "error.h"
#include "http1.h"

/* ------------------------------------------------------------------------------------------------ */
/* The request */

static char *request(const char *method, const char *url, const char *const *headers, const char *body,
                     kusto_status *status, kusto_error **err) {
    kusto_buf out = {0};
    *status = kusto_http1_request(&out, method, url, headers, body, body ? strlen(body) : 0, err);
    return kusto_buf_take(&out);
}

static void test_request_post_with_query_headers_and_body(void) {
    const char *headers[] = {"Authorization: Bearer tok", "Content-Type: application/json; charset=utf-8", NULL};
    kusto_status status;
    char *bytes = request("POST", "https://Help.Kusto.Windows.net/v2/rest/query?a=1&b=%20", headers, "{\"db\":1}",
                          &status, NULL);
    CHECK_INT(status, KUSTO_OK);
    CHECK_STR(bytes, "POST /v2/rest/query?a=1&b=%20 HTTP/1.1\r\n"
                     "Host: help.kusto.windows.net\r\n"
                     "Authorization: Bearer tok\r\n"
                     "Content-Type: application/json; charset=utf-8\r\n"
                     "Content-Length: 8\r\n"
                     "Connection: keep-alive\r\n"
                     "\r\n"
                     "{\"db\":1}");
    free(bytes);
}

static void test_request_host_keeps_the_port_and_brackets_ipv6(void) {
    kusto_status status;
    char *bytes = request("GET", "http://127.0.0.1:8080/v1/rest/auth/metadata", NULL, NULL, &status, NULL);
    CHECK_STR(bytes, "GET /v1/rest/auth/metadata HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
                     "Connection: keep-alive\r\n\r\n");
    free(bytes);
    bytes = request("GET", "https://[::1]:8443", NULL, NULL, &status, NULL);
    CHECK_STR(bytes, "GET / HTTP/1.1\r\nHost: [::1]:8443\r\nConnection: keep-alive\r\n\r\n");
    free(bytes);
    bytes = request("POST", "https://login.example.com/t/oauth2/v2.0/token", NULL, "", &status, NULL);
    CHECK_STR(bytes, "POST /t/oauth2/v2.0/token HTTP/1.1\r\nHost: login.example.com\r\n"
                     "Content-Length: 0\r\nConnection: keep-alive\r\n\r\n");
    free(bytes);
}

static void test_request_refusals_never_show_a_header_value(void) {
    const char *injected[] = {"Accept: */*", "Authorization: Bearer se\r\ncret", NULL};
    kusto_error *err = NULL;
    kusto_status status;
    char *bytes = request("GET", "https://h.example.com/", injected, NULL, &status, &err);
    CHECK_INT(status, KUSTO_E_ARGUMENT);
    CHECK(bytes == NULL);
    CHECK_STR(kusto_error_message(err), "request header Authorization holds CR or LF");
    kusto_error_free(err), err = NULL;
    const char *no_name[] = {"Bearer secret", NULL};
    request("GET", "https://h.example.com/", no_name, NULL, &status, &err);
    CHECK_INT(status, KUSTO_E_ARGUMENT);
    CHECK_STR(kusto_error_message(err), "request header 0 is not \"Name: value\"");
    kusto_error_free(err), err = NULL;
    request("GE T", "https://h.example.com/", NULL, NULL, &status, &err);
    CHECK_INT(status, KUSTO_E_ARGUMENT);
    kusto_error_free(err), err = NULL;
    request("GET", "ftp://h.example.com/", NULL, NULL, &status, &err);
    CHECK_INT(status, KUSTO_E_ARGUMENT);
    kusto_error_free(err);
}

/* ------------------------------------------------------------------------------------------------ */
/* The answer: a transcript of what the callbacks saw and how the parse ended */

typedef struct record {
    kusto_buf seen;
    int stop_head, stop_body;
    kusto_error **slot; /* where a stopping callback puts its own error, when set */
} record;

static int stop(record *r) {
    if (r->slot) *r->slot = kusto_error_new(KUSTO_E_SERVICE, "the callback's own error");
    return 1;
}

static int on_head(void *ud, long status, const char *const *headers) {
    record *r = ud;
    kusto_buf_printf(&r->seen, "%ld\n", status);
    for (size_t i = 0; headers[i]; i++) kusto_buf_printf(&r->seen, "%s\n", headers[i]);
    kusto_buf_puts(&r->seen, "--\n");
    return r->stop_head ? stop(r) : 0;
}

static int on_body(void *ud, const char *data, size_t len) {
    record *r = ud;
    kusto_buf_append(&r->seen, data, len);
    return r->stop_body ? stop(r) : 0;
}

static const kusto_http1_callbacks recorder = {on_head, on_body};

/* Feeds `answer`: its first `first` bytes, then pieces of `piece` bytes, then EOF (when `eof`). */
static char *transcript(const char *method, const char *answer, size_t len, size_t first, size_t piece, int eof) {
    record r = {{0}, 0, 0, NULL};
    kusto_http1_parser *p = kusto_http1_parser_new(method, &recorder, &r);
    kusto_error *err = NULL;
    int rc = 0;
    for (size_t at = 0; at < len && rc >= 0;) {
        size_t n = at == 0 && first ? first : piece;
        if (n > len - at) n = len - at;
        rc = kusto_http1_feed(p, answer + at, n, &err);
        at += n;
    }
    if (eof && rc >= 0) rc = kusto_http1_feed(p, "", 0, &err);
    kusto_buf_printf(&r.seen, "\n=%d keep-alive %d %s", rc, kusto_http1_keep_alive(p),
                     err ? kusto_error_message(err) : "");
    kusto_error_free(err);
    kusto_http1_parser_free(p);
    return kusto_buf_take(&r.seen);
}

/* The one-shot transcript, checked to be the same under every split in two and byte by byte. */
static char *every_chunking(const char *method, const char *answer, int eof) {
    size_t len = strlen(answer);
    char *whole = transcript(method, answer, len, 0, len ? len : 1, eof);
    int same = 1;
    for (size_t split = 1; split < len && same; split++) {
        char *two = transcript(method, answer, len, split, len, eof);
        same = strcmp(two, whole) == 0;
        if (!same) fprintf(stderr, "split at %zu:\n%s\nvs whole:\n%s\n", split, two, whole);
        free(two);
    }
    for (size_t piece = 1; piece <= 7 && same; piece++) {
        char *bytes = transcript(method, answer, len, 0, piece, eof);
        same = strcmp(bytes, whole) == 0;
        if (!same) fprintf(stderr, "pieces of %zu:\n%s\nvs whole:\n%s\n", piece, bytes, whole);
        free(bytes);
    }
    CHECK(same);
    return whole;
}

#define CHECK_ANSWER(method, answer, eof, expected)           \
    do {                                                      \
        char *t_ = every_chunking((method), (answer), (eof)); \
        CHECK_STR(t_, (expected));                            \
        free(t_);                                             \
    } while (0)

static void test_answer_by_content_length(void) {
    CHECK_ANSWER("POST",
                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length:  5 \r\n"
                 "X-Empty:\r\n\r\nhello",
                 0, "200\nContent-Type: application/json\ncontent-length: 5\nX-Empty: \n--\nhello\n=1 keep-alive 1 ");
    CHECK_ANSWER("GET", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 1,
                 "200\nContent-Length: 3\nContent-Length: 3\n--\nabc\n=1 keep-alive 1 ");
    CHECK_ANSWER("GET", "HTTP/1.1 404 Not Found\nContent-Length: 0\n\n", 0,
                 "404\nContent-Length: 0\n--\n\n=1 keep-alive 1 ");
}

static void test_answer_chunked_with_extensions_and_trailers(void) {
    CHECK_ANSWER("POST",
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
                 "5;name=\"v\"\r\nhello\r\n"
                 "1a ; ext\r\n, abcdefghijklmnopqrstuvwx\r\n"
                 "000\r\nX-Trailer: t\r\nServer-Timing: x\r\n\r\n",
                 0, "200\nTransfer-Encoding: Chunked\n--\nhello, abcdefghijklmnopqrstuvwx\n=1 keep-alive 1 ");
    CHECK_ANSWER("GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0,
                 "200\nTransfer-Encoding: chunked\n--\n\n=1 keep-alive 1 ");
}

static void test_answer_interim_and_bodiless(void) {
    CHECK_ANSWER("POST",
                 "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                 0, "200\nContent-Length: 2\n--\nok\n=1 keep-alive 1 ");
    CHECK_ANSWER("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 0,
                 "200\nContent-Length: 100\n--\n\n=1 keep-alive 1 ");
    CHECK_ANSWER("GET", "HTTP/1.1 204 No Content\r\n\r\n", 0, "204\n--\n\n=1 keep-alive 1 ");
    CHECK_ANSWER("GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", 0,
                 "304\nContent-Length: 9\n--\n\n=1 keep-alive 1 ");
}

static void test_answer_until_eof(void) {
    CHECK_ANSWER("GET", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nall of it", 1,
                 "200\nConnection: keep-alive\n--\nall of it\n=1 keep-alive 0 ");
    CHECK_ANSWER("GET", "HTTP/1.1 200\r\n\r\nno reason phrase", 1, "200\n--\nno reason phrase\n=1 keep-alive 0 ");
    /* Until EOF, nothing is whole before the close. */
    CHECK_ANSWER("GET", "HTTP/1.1 200 OK\r\n\r\nmore", 0, "200\n--\nmore\n=0 keep-alive 0 ");
}

static void test_keep_alive_truth_table(void) {
    static const struct {
        const char *answer;
        int keep;
    } table[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 1},
        {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 0},
        {"HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE\r\nContent-Length: 0\r\n\r\n", 0},
        {"HTTP/1.1 200 OK\r\nConnection: upgrade\r\nContent-Length: 0\r\n\r\n", 1},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 1},
        {"HTTP/1.1 204 No Content\r\n\r\n", 1},
        {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 0},
        {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", 1},
        {"HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n", 0},
        {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n", 0},
        {"HTTP/1.1 200 OK\r\n\r\n", 0},
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        kusto_http1_parser *p = kusto_http1_parser_new("GET", NULL, NULL);
        int rc = kusto_http1_feed(p, table[i].answer, strlen(table[i].answer), NULL);
        if (rc == 0) rc = kusto_http1_feed(p, "", 0, NULL);
        CHECK_INT(rc, 1);
        if (kusto_http1_keep_alive(p) != table[i].keep) fprintf(stderr, "keep-alive row %zu\n", i);
        CHECK_INT(kusto_http1_keep_alive(p), table[i].keep);
        kusto_http1_parser_free(p);
    }
    kusto_http1_parser *p = kusto_http1_parser_new("GET", NULL, NULL);
    const char *part = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\no";
    CHECK_INT(kusto_http1_feed(p, part, strlen(part), NULL), 0);
    CHECK_INT(kusto_http1_keep_alive(p), 0); /* not whole yet */
    kusto_http1_parser_free(p);
}

/* ------------------------------------------------------------------------------------------------ */
/* Malformed answers */

static char *failure(const char *answer, size_t len, int eof, kusto_status *status) {
    kusto_http1_parser *p = kusto_http1_parser_new("GET", NULL, NULL);
    kusto_error *err = NULL;
    int rc = kusto_http1_feed(p, answer, len, &err);
    if (rc == 0 && eof) rc = kusto_http1_feed(p, "", 0, &err);
    CHECK_INT(rc, -1);
    kusto_error *again = NULL; /* and it stays failed */
    CHECK_INT(kusto_http1_feed(p, "x", 1, &again), -1);
    CHECK_STR(kusto_error_message(again), "HTTP/1.1 answer: fed after it failed");
    kusto_error_free(again);
    *status = err ? kusto_error_status(err) : KUSTO_OK;
    char *message = kusto_strdup(err ? kusto_error_message(err) : "(none)");
    kusto_error_free(err);
    kusto_http1_parser_free(p);
    return message;
}

static void test_malformed_answers(void) {
    static const struct {
        const char *answer;
        int eof;
        const char *message;
    } table[] = {
        {"HTTP/2 200 OK\r\n\r\n", 0, "the status line is not HTTP/1.0 or HTTP/1.1"},
        {"HTTP/1.1 20 OK\r\n\r\n", 0, "the status code is not three digits"},
        {"HTTP/1.1 2000 OK\r\n\r\n", 0, "the status code is not three digits"},
        {"HTTP/1.1 200 OK\r\nA: b\r\n  folded\r\n\r\n", 0, "a folded header line"},
        {"HTTP/1.1 200 OK\r\nno colon\r\n\r\n", 0, "a header line without a name"},
        {"HTTP/1.1 200 OK\r\n: x\r\n\r\n", 0, "a header line without a name"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 0, "two different Content-Lengths"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
         "both Content-Length and chunked"},
        {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, "a Content-Length that is not a decimal number"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", 0, "a Content-Length that is not a decimal number"},
        {"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", 0, "an empty Content-Length"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", 0, "a Content-Length too large"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0, "a Transfer-Encoding other than chunked"},
        {"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n", 0, "a Content-Encoding that was not asked for"},
        {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", 0, "101 Switching Protocols, never asked for"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, "a chunk size that is not hexadecimal"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 0, "a chunk size that is not hexadecimal"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", 0, "a chunk size too large"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nSECRET\r\n", 0, "chunk data longer than its size"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokSECRET", 0, "bytes past the end of the answer"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nSECRET", 1, "the connection closed before the answer was whole"},
        {"HTTP/1.1 200 OK\r\nContent-Le", 1, "the connection closed before the answer was whole"},
        {"", 1, "the connection closed before the answer was whole"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", 1,
         "the connection closed before the answer was whole"},
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        kusto_status status;
        char *message = failure(table[i].answer, strlen(table[i].answer), table[i].eof, &status);
        CHECK_INT(status, KUSTO_E_PROTOCOL);
        char expected[200];
        snprintf(expected, sizeof expected, "HTTP/1.1 answer: %s", table[i].message);
        CHECK_STR(message, expected);
        CHECK(strstr(message, "SECRET") == NULL);
        free(message);
        char *t = every_chunking("GET", table[i].answer, table[i].eof); /* the same error under every split */
        CHECK(strstr(t, table[i].message) != NULL);
        free(t);
    }
    kusto_status status;
    static const char nul[] = "HTTP/1.1 200 OK\r\nA: \0b\r\n\r\n";
    char *message = failure(nul, sizeof nul - 1, 0, &status);
    CHECK_STR(message, "HTTP/1.1 answer: a NUL byte in a line");
    free(message);
}

static void test_bounds(void) {
    kusto_buf big = {0};
    kusto_buf_puts(&big, "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i < 100; i++) kusto_buf_printf(&big, "X-H%d: v\r\n", i);
    kusto_buf_puts(&big, "Content-Length: 0\r\n\r\n");
    kusto_status status;
    char *message = failure(big.data, big.len, 0, &status);
    CHECK_STR(message, "HTTP/1.1 answer: more than 100 headers");
    free(message);
    kusto_buf_free(&big);

    kusto_buf_puts(&big, "HTTP/1.1 200 OK\r\nX-Long: ");
    while (big.len < 64 * 1024 - 4) kusto_buf_puts(&big, "a");
    kusto_buf_puts(&big, "\r\n\r\n"); /* exactly 64 KiB: accepted */
    CHECK_INT(big.len, 64 * 1024);
    kusto_http1_parser *p = kusto_http1_parser_new("GET", NULL, NULL);
    CHECK_INT(kusto_http1_feed(p, big.data, big.len, NULL), 0);
    kusto_http1_parser_free(p);
    big.len -= 4;
    kusto_buf_puts(&big, "a\r\n\r\n");
    message = failure(big.data, big.len, 0, &status);
    CHECK_STR(message, "HTTP/1.1 answer: the status line and headers (or the trailers) exceed 64 KiB");
    free(message);
    kusto_buf_free(&big);

    kusto_buf_puts(&big, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n");
    for (int i = 0; i < 7000; i++) kusto_buf_puts(&big, "T: trailer\r\n");
    message = failure(big.data, big.len, 0, &status);
    CHECK_STR(message, "HTTP/1.1 answer: the status line and headers (or the trailers) exceed 64 KiB");
    free(message);
    kusto_buf_free(&big);

    /* The largest sizes accepted: 2^60 bytes, in decimal and in hex (with leading zeros). */
    p = kusto_http1_parser_new("GET", NULL, NULL);
    const char *huge = "HTTP/1.1 200 OK\r\nContent-Length: 1152921504606846976\r\n\r\nabc";
    CHECK_INT(kusto_http1_feed(p, huge, strlen(huge), NULL), 0);
    kusto_http1_parser_free(p);
    p = kusto_http1_parser_new("GET", NULL, NULL);
    huge = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0001000000000000000\r\nabc";
    CHECK_INT(kusto_http1_feed(p, huge, strlen(huge), NULL), 0);
    kusto_http1_parser_free(p);
    huge = "HTTP/1.1 200 OK\r\nContent-Length: 1152921504606846977\r\n\r\n";
    message = failure(huge, strlen(huge), 0, &status);
    CHECK_STR(message, "HTTP/1.1 answer: a Content-Length too large");
    free(message);
}

/* ------------------------------------------------------------------------------------------------ */
/* Callbacks that stop */

static int stop_with(int in_head, int own_error, const char **message) {
    static char copy[100];
    kusto_error *err = NULL;
    record r = {{0}, in_head, !in_head, own_error ? &err : NULL};
    kusto_http1_parser *p = kusto_http1_parser_new("GET", &recorder, &r);
    const char *answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    CHECK_INT(kusto_http1_feed(p, answer, strlen(answer), &err), -1);
    CHECK_INT(kusto_http1_feed(p, "", 0, &err), -1);
    int status = err ? kusto_error_status(err) : KUSTO_OK;
    snprintf(copy, sizeof copy, "%s", err ? kusto_error_message(err) : "");
    *message = copy;
    kusto_error_free(err);
    kusto_buf_free(&r.seen);
    kusto_http1_parser_free(p);
    return status;
}

static void test_a_callback_stops(void) {
    const char *message;
    CHECK_INT(stop_with(1, 0, &message), KUSTO_E_CANCELLED);
    CHECK_STR(message, "a callback stopped the HTTP answer");
    CHECK_INT(stop_with(0, 0, &message), KUSTO_E_CANCELLED);
    CHECK_INT(stop_with(1, 1, &message), KUSTO_E_SERVICE);
    CHECK_STR(message, "the callback's own error");
    CHECK_INT(stop_with(0, 1, &message), KUSTO_E_SERVICE);
}

int main(void) {
    test_request_post_with_query_headers_and_body();
    test_request_host_keeps_the_port_and_brackets_ipv6();
    test_request_refusals_never_show_a_header_value();
    test_answer_by_content_length();
    test_answer_chunked_with_extensions_and_trailers();
    test_answer_interim_and_bodiless();
    test_answer_until_eof();
    test_keep_alive_truth_table();
    test_malformed_answers();
    test_bounds();
    test_a_callback_stops();
    CHECK_DONE();
}

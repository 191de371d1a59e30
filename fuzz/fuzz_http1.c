/* libFuzzer: HTTP/1.1 answers fed to the push parser whole and in pieces whose sizes come from the input's
   first two bytes (its top bit: the answer to a HEAD); both must see the same head, body and end. The
   input is also tried as a request's URL and header. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "http1.h"

static int on_head(void *ud, long status, const char *const *headers) {
    kusto_buf_printf(ud, "%ld\n", status);
    for (size_t i = 0; headers[i]; i++) kusto_buf_printf(ud, "%s\n", headers[i]);
    return 0;
}

static int on_body(void *ud, const char *data, size_t len) {
    kusto_buf_append(ud, data, len);
    return 0;
}

/* What the callbacks saw and how the parse ended, with a closed connection after the bytes. */
static char *parse(const char *method, const char *data, size_t size, unsigned seed) {
    static const kusto_http1_callbacks cb = {on_head, on_body};
    kusto_buf seen = {0};
    kusto_http1_parser *p = kusto_http1_parser_new(method, &cb, &seen);
    kusto_error *err = NULL;
    int rc = 0;
    for (size_t at = 0; at < size && rc >= 0;) {
        seed = seed * 1103515245u + 12345u;
        size_t chunk = seed ? 1 + (seed >> 16) % 64 : size;
        if (chunk > size - at) chunk = size - at;
        rc = kusto_http1_feed(p, data + at, chunk, &err);
        at += chunk;
    }
    if (rc >= 0) rc = kusto_http1_feed(p, "", 0, &err);
    kusto_buf_printf(&seen, "=%d %d %s", rc, kusto_http1_keep_alive(p), err ? kusto_error_message(err) : "");
    kusto_error_free(err);
    kusto_http1_parser_free(p);
    return kusto_buf_take(&seen);
}

static void try_request(const unsigned char *data, size_t size) {
    char *text = kusto_strndup((const char *)data, size);
    if (!text) return;
    const char *headers[] = {text, "Accept: application/json", NULL};
    kusto_buf out = {0};
    kusto_http1_request(&out, "POST", text, headers, text, size, NULL);
    kusto_http1_request(&out, "GET", "https://h.example.com:8443/p?q=1", headers, NULL, 0, NULL);
    if (out.data && strstr(out.data, "\r\n\r\n") == NULL) abort();
    kusto_buf_free(&out);
    free(text);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    if (size < 2) return 0;
    const char *method = data[1] & 0x80 ? "HEAD" : "GET";
    unsigned seed = data[0] | (unsigned)(data[1] & 0x7f) << 8 | 1u;
    char *whole = parse(method, (const char *)data + 2, size - 2, 0);
    char *pieces = parse(method, (const char *)data + 2, size - 2, seed);
    if (!whole || !pieces || strcmp(whole, pieces) != 0) abort();
    free(whole);
    free(pieces);
    try_request(data + 2, size - 2);
    return 0;
}

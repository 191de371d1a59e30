/* A growable byte buffer and small string helpers. */
#include "buf.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int buf_reserve(kusto_buf *b, size_t extra) {
    if (extra > SIZE_MAX - b->len - 1) return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    /* Not realloc: the old block may hold a secret (a form, a header), so it is wiped, not left behind. */
    char *data = malloc(cap);
    if (!data) return -1;
    if (b->data) {
        memcpy(data, b->data, b->len + 1);
        OPENSSL_cleanse(b->data, b->cap);
        free(b->data);
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

int kusto_buf_append(kusto_buf *b, const void *data, size_t len) {
    if (buf_reserve(b, len)) return -1;
    if (len) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int kusto_buf_puts(kusto_buf *b, const char *s) { return kusto_buf_append(b, s, strlen(s)); }

int kusto_buf_printf(kusto_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n)) return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int kusto_buf_json_string(kusto_buf *b, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    if (kusto_buf_append(b, "\"", 1)) return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[7] = {'\\', 0};
        size_t n = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            if (c >= 0x20) {
                if (kusto_buf_append(b, &s[i], 1)) return -1;
                continue;
            }
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        if (kusto_buf_append(b, esc, n)) return -1;
    }
    return kusto_buf_append(b, "\"", 1);
}

int kusto_buf_form_encode(kusto_buf *b, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '.' || c == '_' || c == '~';
        char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
        if (plain ? kusto_buf_append(b, s, 1) : kusto_buf_append(b, enc, 3)) return -1;
    }
    return 0;
}

char *kusto_buf_take(kusto_buf *b) {
    char *data = b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return data;
}

void kusto_buf_free(kusto_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void kusto_buf_wipe(kusto_buf *b) {
    if (b->data) OPENSSL_cleanse(b->data, b->cap);
    kusto_buf_free(b);
}

int kusto_buf_read_file(kusto_buf *b, const char *path, size_t max) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    char chunk[4096];
    size_t n;
    int failed = 0;
    while (!failed && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        failed = (max && b->len + n > max) || kusto_buf_append(b, chunk, n) ? -2 : 0;
    OPENSSL_cleanse(chunk, sizeof chunk);
    fclose(f);
    return failed;
}

char *kusto_strdup(const char *s) { return s ? kusto_strndup(s, strlen(s)) : NULL; }

char *kusto_strndup(const char *s, size_t len) {
    char *copy = malloc(len + 1);
    if (!copy) return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

void kusto_secret_free(char *s) {
    if (!s) return;
    OPENSSL_cleanse(s, strlen(s));
    free(s);
}

int kusto_strcasecmp(const char *a, const char *b) {
    for (;; a++, b++) {
        int ca = (unsigned char)*a, cb = (unsigned char)*b;
        if (ca >= 'A' && ca <= 'Z') ca += 32;
        if (cb >= 'A' && cb <= 'Z') cb += 32;
        if (ca != cb || !ca) return ca - cb;
    }
}

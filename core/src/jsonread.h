/* Internal: a cursor over complete JSON text that hands out raw tokens without building a tree, so
   numbers keep their exact digits and strings without escapes are used in place. */
#ifndef KUSTO_JSONREAD_H
#define KUSTO_JSONREAD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef struct kusto_jr {
    const char *p;
    const char *end;
} kusto_jr;

typedef enum kusto_jr_kind {
    KUSTO_JR_NULL,
    KUSTO_JR_TRUE,
    KUSTO_JR_FALSE,
    KUSTO_JR_NUMBER, /* ptr/len: the number's text */
    KUSTO_JR_STRING, /* ptr/len: between the quotes, escapes left in (see `escaped`) */
    KUSTO_JR_ARRAY,  /* not consumed: the cursor stays on '[' */
    KUSTO_JR_OBJECT  /* not consumed: the cursor stays on '{' */
} kusto_jr_kind;

typedef struct kusto_jr_token {
    kusto_jr_kind kind;
    const char *start; /* where the value begins in the text */
    const char *ptr;
    size_t len;
    int escaped;
} kusto_jr_token;

int kusto_jr_peek_slow(kusto_jr *r);
/* The next non-space character, not consumed; -1 at the end. Inline: it runs between all tokens. */
static inline int kusto_jr_peek(kusto_jr *r) {
    if (r->p < r->end && (unsigned char)*r->p > ' ') return (unsigned char)*r->p;
    return kusto_jr_peek_slow(r);
}
/* Reads one token (containers: see above). 0, or -1 when the text is not a JSON value. */
int kusto_jr_token_read(kusto_jr *r, kusto_jr_token *t);
/* Skips one whole value. 0 or -1. */
int kusto_jr_skip(kusto_jr *r);
/* The same, and *spaced = 1 when there is space (or another byte below '!') between its tokens. */
int kusto_jr_skip_noting_space(kusto_jr *r, int *spaced);
/* Just after an opening '[' or '{': moves past its closing bracket, 0; -1 when it does not close before the end.
   Counts brackets outside strings 64 bytes at a time and checks nothing else: for knowing a value is complete
   before reading it. */
int kusto_jr_skip_to_close(kusto_jr *r);
/* Consumes the opening '[' or '{'. 0 or -1. */
int kusto_jr_open(kusto_jr *r, char open);
/* In an array or object: 1 when another member follows (its separator consumed), 0 when the
   closing `close` was consumed, -1 when malformed. `count` starts at 0 and counts members. */
static inline int kusto_jr_next(kusto_jr *r, char close, size_t *count) {
    int c = kusto_jr_peek(r);
    if (c == (unsigned char)close) {
        r->p++;
        return 0;
    }
    if (*count > 0) {
        if (c != ',') return -1;
        r->p++;
        c = kusto_jr_peek(r);
        if (c == -1 || c == (unsigned char)close) return -1;
    } else if (c == -1) {
        return -1;
    }
    (*count)++;
    return 1;
}
/* In an object after kusto_jr_next returned 1: the key (raw, as a string token) and its ':'. */
int kusto_jr_key(kusto_jr *r, kusto_jr_token *key);

/* Appends the UTF-8 text of a string token's raw contents. 0, or -1 for a bad escape or no memory. */
int kusto_jr_unescape(kusto_buf *out, const char *raw, size_t len);
/* Appends the JSON text with the space between tokens removed. 0 or -1 (no memory). */
int kusto_jr_compact(kusto_buf *out, const char *text, size_t len);
/* A number's text as int64: 0 when it is a plain integer that fits exactly, else -1. */
int kusto_jr_int64(const char *text, size_t len, int64_t *out);
/* A number's text as the nearest double, independent of the locale. 0 or -1. */
int kusto_jr_double(const char *text, size_t len, double *out);

#endif

/* Internal: a growable byte buffer and string helpers. */
#ifndef KUSTO_BUF_H
#define KUSTO_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct kusto_buf {
    char *data; /* always NUL-terminated once anything was appended */
    size_t len;
    size_t cap;
} kusto_buf;

/* Each returns 0, or -1 when out of memory (the buffer is then unchanged). */
int kusto_buf_append(kusto_buf *b, const void *data, size_t len);
int kusto_buf_puts(kusto_buf *b, const char *s);
int kusto_buf_printf(kusto_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends `s` as a JSON string literal, quotes included. */
int kusto_buf_json_string(kusto_buf *b, const char *s, size_t len);
/* Appends `s` percent-encoded for application/x-www-form-urlencoded. */
int kusto_buf_form_encode(kusto_buf *b, const char *s);
/* Gives the data away (caller frees) and resets the buffer; NULL if empty and nothing appended. */
char *kusto_buf_take(kusto_buf *b);
void kusto_buf_free(kusto_buf *b);
/* Zeroes the memory before freeing: for buffers that held a secret. */
void kusto_buf_wipe(kusto_buf *b);

/* Appends a file's bytes: 0; -1 when it cannot be opened; -2 when it holds more than `max` bytes (0: no
   limit) or memory runs out. Files may hold secrets: the read chunks are wiped, wipe the buffer too. */
int kusto_buf_read_file(kusto_buf *b, const char *path, size_t max);

char *kusto_strdup(const char *s); /* NULL in, NULL out */
char *kusto_strndup(const char *s, size_t len);
/* Zeroes then frees a string that held a secret. */
void kusto_secret_free(char *s);
/* ASCII case-insensitive compare of NUL-terminated strings. */
int kusto_strcasecmp(const char *a, const char *b);

#endif

/* Tests only: a whole file in memory. */
#ifndef KUSTO_TEST_FILES_H
#define KUSTO_TEST_FILES_H

#include <stdio.h>

#include "buf.h"

#define FIXTURES "tests/fixtures/" /* relative to the repository, where the tests run */

/* The file's bytes (NUL-terminated, free()), its length in *len; NULL, said on stderr, when it cannot be read. */
static inline char *read_whole_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    kusto_buf b = {0};
    char chunk[4096];
    size_t n;
    if (!f) {
        fprintf(stderr, "cannot read %s\n", path);
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) kusto_buf_append(&b, chunk, n);
    fclose(f);
    *len = b.len;
    kusto_buf_puts(&b, ""); /* NUL-terminated, not counted */
    return kusto_buf_take(&b);
}

/* A response body from FIXTURES. */
static inline char *read_fixture(const char *name, size_t *len) {
    char path[256];
    snprintf(path, sizeof path, FIXTURES "%s", name);
    return read_whole_file(path, len);
}

#endif

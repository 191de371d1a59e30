/* Text into queries: a blank line or a ';' at the end of a line ends one (as at the prompt). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int is_blank(const char *s) {
    while (*s && isspace((unsigned char)*s)) s++;
    return !*s;
}

/* The text without white space at its ends, as a new string. */
static char *trimmed(const char *p, size_t len) {
    while (len && isspace((unsigned char)*p)) p++, len--;
    while (len && isspace((unsigned char)p[len - 1])) len--;
    return strndup(p, len);
}

/* A statement a query follows in the same request: let x = 1; T | take x */
static int is_declaration(const char *statement) {
    static const char *const words[] = {"let", "set", "declare", "alias", "pattern", "restrict"};
    while (isspace((unsigned char)*statement)) statement++;
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        size_t n = strlen(words[i]);
        if (strncmp(statement, words[i], n) == 0 && (isspace((unsigned char)statement[n]) || !statement[n])) return 1;
    }
    return 0;
}

/* The pending text ends with ';' (white space after it dropped): does it end the query? */
static int semicolon_ends_query(const splitter *sp, size_t semicolon) {
    size_t start = semicolon;
    while (start && sp->pending.p[start - 1] != ';') start--;
    char *statement = strndup(sp->pending.p + start, semicolon - start);
    int ends = statement && !is_declaration(statement);
    free(statement);
    return ends;
}

static char *take(splitter *sp, size_t len) {
    char *query = trimmed(sp->pending.p ? sp->pending.p : "", len);
    splitter_reset(sp);
    if (query && !*query) {
        free(query);
        return NULL;
    }
    return query;
}

char *splitter_line(splitter *sp, const char *line, int *oom) {
    *oom = 0;
    if (is_blank(line)) return splitter_pending(sp) ? take(sp, sp->pending.len) : NULL;
    if ((sp->pending.len && text_add(&sp->pending, "\n", 1)) || text_str(&sp->pending, line)) {
        *oom = 1;
        return NULL;
    }
    size_t end = sp->pending.len;
    while (end && isspace((unsigned char)sp->pending.p[end - 1])) end--;
    const char *start = line;
    while (isspace((unsigned char)*start)) start++;
    if (strncmp(start, "//", 2) == 0 || !end || sp->pending.p[end - 1] != ';') return NULL;
    return semicolon_ends_query(sp, end - 1) ? take(sp, end - 1) : NULL;
}

char *splitter_end(splitter *sp) { return splitter_pending(sp) ? take(sp, sp->pending.len) : NULL; }

int splitter_pending(const splitter *sp) { return sp->pending.len && !is_blank(sp->pending.p); }

void splitter_reset(splitter *sp) {
    free(sp->pending.p);
    sp->pending = (text){0};
}

kusto_status run_script(session *s, const char *path, printer *pr, kusto_error **err) {
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!in) {
        fprintf(stderr, "kusto: cannot read %s\n", path);
        return KUSTO_E_ARGUMENT;
    }
    splitter sp = {0};
    char *line = NULL, *query = NULL;
    size_t cap = 0;
    ssize_t n;
    int oom = 0, done = 0;
    kusto_status status = KUSTO_OK;
    while (status == KUSTO_OK && !done) {
        n = getline(&line, &cap, in);
        if (n < 0) done = 1;
        else if (n && line[n - 1] == '\n') line[n - 1] = '\0';
        query = done ? splitter_end(&sp) : splitter_line(&sp, line, &oom);
        if (oom) status = KUSTO_E_NOMEM;
        if (query) status = session_run(s, query, pr, err);
        if (query) session_timing(s);
        free(query);
    }
    splitter_reset(&sp);
    free(line);
    if (in != stdin) fclose(in);
    return status;
}

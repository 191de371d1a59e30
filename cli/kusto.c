/*
 * kusto: run a Kusto query or control command from the shell and print the primary result table(s).
 *
 *   kusto [options] QUERY            QUERY "-" reads it from standard input
 *     -c, --connection-string CS     default: $KUSTO_CONNECTION_STRING
 *     -d, --database DB              default: the connection string's Initial Catalog
 *     --ca-file FILE                 PEM CA bundle for every HTTPS call
 *     -f, --format table|csv|json    json: one object per row (JSON lines)
 *     --mgmt                         a control command (POST /v1/rest/mgmt); text starting with '.' is one anyway
 *     -o NAME=VALUE                  a client option (kusto_options_set): timeout, authority, sign_in ...
 *     -p NAME=VALUE                  a request option (properties.Options): servertimeout, notruncation ...
 *     -v, -vv                        say on standard error what the library does (sign-in, retries; -vv: the cache)
 *
 * It signs in as sign_in "default": with the connection string's credentials, else by DefaultAzureCredential's
 * chain (environment, workload identity, managed identity, the token cache, the Azure CLI, then a browser).
 *
 * Rows are printed as they arrive. The table format sizes its columns from the first TABLE_SAMPLE rows.
 * Cells delivered in another form than their column's type are reported on standard error ("kusto:
 * warning: ..."); -o strict=true makes them an error. On a terminal, progressive queries show their
 * progress on standard error.
 * Errors go to standard error; the exit status is the error class: -kusto_status (1 usage or argument,
 * 4 network, 6 authentication, 7 service, 10 partial result ...), 0 on success.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kusto.h"

#define TABLE_SAMPLE 100
#define MAX_OPTIONS 64

enum format { FORMAT_TABLE, FORMAT_CSV, FORMAT_JSON };

typedef struct text {
    char *p;
    size_t len, cap;
} text;

typedef struct args {
    const char *connstr, *database, *query, *ca_file;
    enum format format;
    int mgmt;
    int verbose; /* 1: the library's INFO messages on stderr, 2: DEBUG too */
    const char *client_options[MAX_OPTIONS], *request_options[MAX_OPTIONS];
    size_t client_option_count, request_option_count;
} args;

/* The printer: a kusto_builder that writes each row of a primary table as it ends. */
typedef struct printer {
    enum format format;
    int in_primary, tables_printed;
    size_t width, column, depth;
    char **names;   /* column names of the current table */
    text *cells;    /* the current row's cells, `width` of them */
    char **sample;  /* table format: the first rows, width cells each, until the widths are known */
    size_t sampled;
    size_t *widths;
    int out_of_memory;
    int progress_shown; /* a progress line is on the terminal, to be cleared */
} printer;

/* ---- text ---------------------------------------------------------------------------------------- */

static int text_add(text *t, const char *p, size_t len) {
    if (t->len + len + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 64;
        while (cap < t->len + len + 1) cap *= 2;
        char *grown = realloc(t->p, cap);
        if (!grown) return -1;
        t->p = grown;
        t->cap = cap;
    }
    memcpy(t->p + t->len, p, len);
    t->len += len;
    t->p[t->len] = '\0';
    return 0;
}

static int text_str(text *t, const char *s) {
    return text_add(t, s, strlen(s));
}

static int text_json_string(text *t, const char *p, size_t len) {
    int rc = text_add(t, "\"", 1);
    for (size_t i = 0; i < len && rc == 0; i++) {
        unsigned char c = (unsigned char)p[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c;
            rc = text_add(t, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            rc = text_add(t, esc, 6);
        } else {
            rc = text_add(t, p + i, 1);
        }
    }
    return rc ? rc : text_add(t, "\"", 1);
}

/* ---- values to text ------------------------------------------------------------------------------ */

static int is_quoted_in_json(const kusto_value *v) {
    switch (v->kind) {
    case KUSTO_VALUE_NULL: case KUSTO_VALUE_BOOL: case KUSTO_VALUE_INT: case KUSTO_VALUE_JSON: return 0;
    case KUSTO_VALUE_REAL: return !isfinite(v->u.r);
    default: return 1;
    }
}

/* The plain text of a value: what a table or CSV cell shows, and what JSON quotes when is_quoted_in_json. */
static int value_text(text *t, const kusto_value *v, enum format format) {
    char buf[64];
    switch (v->kind) {
    case KUSTO_VALUE_NULL: return format == FORMAT_JSON ? text_str(t, "null") : 0;
    case KUSTO_VALUE_BOOL: return text_str(t, v->u.b ? "true" : "false");
    case KUSTO_VALUE_INT: snprintf(buf, sizeof buf, "%" PRId64, v->u.i); return text_str(t, buf);
    case KUSTO_VALUE_REAL:
        if (isnan(v->u.r)) return text_str(t, "NaN");
        if (isinf(v->u.r)) return text_str(t, v->u.r > 0 ? "Infinity" : "-Infinity");
        snprintf(buf, sizeof buf, "%.17g", v->u.r);
        if (strtod(buf, NULL) == v->u.r) snprintf(buf, sizeof buf, "%.15g", v->u.r);
        if (strtod(buf, NULL) != v->u.r) snprintf(buf, sizeof buf, "%.17g", v->u.r);
        return text_str(t, buf);
    case KUSTO_VALUE_DATETIME: kusto_datetime_format(v->u.ticks, buf); return text_str(t, buf);
    case KUSTO_VALUE_TIMESPAN: kusto_timespan_format(v->u.ticks, buf); return text_str(t, buf);
    default: return text_add(t, v->u.text.ptr, v->u.text.len);
    }
}

static int cell_of(text *cell, const kusto_value *v, enum format format) {
    if (format != FORMAT_JSON || !is_quoted_in_json(v)) return value_text(cell, v, format);
    text plain = {0};
    int rc = value_text(&plain, v, format);
    if (rc == 0) rc = text_json_string(cell, plain.p ? plain.p : "", plain.len);
    free(plain.p);
    return rc;
}

/* ---- output -------------------------------------------------------------------------------------- */

static void put_csv(const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"') putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static void put_padded(const char *s, size_t width, int last) {
    fputs(s, stdout);
    if (last) return;
    for (size_t n = strlen(s); n < width + 2; n++) putchar(' ');
}

static void print_cells(printer *pr, char *const *cells) {
    for (size_t c = 0; c < pr->width; c++) {
        if (pr->format == FORMAT_CSV) {
            if (c) putchar(',');
            put_csv(cells[c]);
        } else {
            put_padded(cells[c], pr->widths[c], c + 1 == pr->width);
        }
    }
    putchar('\n');
}

static void print_json_row(printer *pr) {
    text line = {0};
    int rc = text_add(&line, "{", 1);
    for (size_t c = 0; c < pr->width && rc == 0; c++) {
        if (c) rc = text_add(&line, ",", 1);
        if (rc == 0) rc = text_json_string(&line, pr->names[c], strlen(pr->names[c]));
        if (rc == 0) rc = text_add(&line, ":", 1);
        if (rc == 0) rc = text_add(&line, pr->cells[c].p ? pr->cells[c].p : "null", pr->cells[c].p ? pr->cells[c].len : 4);
    }
    if (rc == 0) rc = text_add(&line, "}\n", 2);
    if (rc == 0) fputs(line.p, stdout);
    else pr->out_of_memory = 1;
    free(line.p);
}

/* Table format: the header and the sampled rows, once the sample is full or the table ends. */
static void flush_sample(printer *pr) {
    if (pr->format != FORMAT_TABLE || !pr->sample) return;
    for (size_t c = 0; c < pr->width; c++) {
        pr->widths[c] = strlen(pr->names[c]);
        for (size_t r = 0; r < pr->sampled; r++) {
            size_t n = strlen(pr->sample[r * pr->width + c]);
            if (n > pr->widths[c]) pr->widths[c] = n;
        }
    }
    print_cells(pr, pr->names);
    for (size_t c = 0; c < pr->width; c++) {
        for (size_t n = 0; n < pr->widths[c]; n++) putchar('-');
        if (c + 1 < pr->width) fputs("  ", stdout);
    }
    putchar('\n');
    for (size_t r = 0; r < pr->sampled; r++) print_cells(pr, pr->sample + r * pr->width);
    for (size_t i = 0; i < pr->sampled * pr->width; i++) free(pr->sample[i]);
    free(pr->sample);
    pr->sample = NULL;
    pr->sampled = 0;
}

/* ---- the builder --------------------------------------------------------------------------------- */

static void clear_table(printer *pr) {
    flush_sample(pr);
    for (size_t c = 0; c < pr->width; c++) {
        free(pr->names[c]);
        free(pr->cells[c].p);
    }
    free(pr->names);
    free(pr->cells);
    free(pr->widths);
    pr->names = NULL;
    pr->cells = NULL;
    pr->widths = NULL;
    pr->width = 0;
    pr->in_primary = 0;
}

static int on_begin_table(void *ud, const kusto_table_info *info) {
    printer *pr = ud;
    clear_table(pr);
    if (!info->kind || strcmp(info->kind, "PrimaryResult") != 0) return 0;
    pr->in_primary = 1;
    pr->width = info->column_count;
    pr->names = calloc(pr->width + 1, sizeof *pr->names);
    pr->cells = calloc(pr->width + 1, sizeof *pr->cells);
    pr->widths = calloc(pr->width + 1, sizeof *pr->widths);
    if (pr->format == FORMAT_TABLE) pr->sample = calloc(TABLE_SAMPLE * (pr->width + 1), sizeof *pr->sample);
    if (!pr->names || !pr->cells || !pr->widths || (pr->format == FORMAT_TABLE && !pr->sample)) {
        pr->out_of_memory = 1;
        return 1;
    }
    for (size_t c = 0; c < pr->width; c++)
        if (!(pr->names[c] = strdup(info->columns[c].name ? info->columns[c].name : ""))) return pr->out_of_memory = 1;
    if (pr->tables_printed++ && pr->format != FORMAT_JSON) putchar('\n');
    if (pr->format == FORMAT_CSV) print_cells(pr, pr->names);
    return 0;
}

static int on_end_table(void *ud) {
    clear_table(ud);
    return 0;
}

static int on_begin_row(void *ud) {
    printer *pr = ud;
    pr->column = 0;
    for (size_t c = 0; c < pr->width; c++) pr->cells[c].len = 0;
    return 0;
}

static int on_value(void *ud, const kusto_value *v) {
    printer *pr = ud;
    if (!pr->in_primary || pr->column >= pr->width) return 0;
    text *cell = &pr->cells[pr->column++];
    if (cell_of(cell, v, pr->format) || text_add(cell, "", 0)) return pr->out_of_memory = 1;
    return 0;
}

static int on_end_row(void *ud) {
    printer *pr = ud;
    if (!pr->in_primary) return 0;
    for (size_t c = 0; c < pr->width; c++)
        if (text_add(&pr->cells[c], "", 0)) return pr->out_of_memory = 1;
    if (pr->format == FORMAT_JSON) {
        print_json_row(pr);
    } else if (pr->sample) {
        for (size_t c = 0; c < pr->width; c++)
            if (!(pr->sample[pr->sampled * pr->width + c] = strdup(pr->cells[c].p))) return pr->out_of_memory = 1;
        if (++pr->sampled == TABLE_SAMPLE) flush_sample(pr);
    } else {
        char **cells = calloc(pr->width + 1, sizeof *cells);
        if (!cells) return pr->out_of_memory = 1;
        for (size_t c = 0; c < pr->width; c++) cells[c] = pr->cells[c].p;
        print_cells(pr, cells);
        free(cells);
    }
    return pr->out_of_memory;
}

static int on_replace_rows(void *ud) {
    fputs("kusto: progressive results replaced rows already printed\n", stderr);
    return 0;
}

static void clear_progress(printer *pr) {
    if (pr->progress_shown) fputs("\r\033[K", stderr);
    pr->progress_shown = 0;
}

static int on_progress(void *ud, int table_id, double percent) {
    printer *pr = ud;
    fprintf(stderr, "\rkusto: table %d: %.0f%% done", table_id, percent);
    fflush(stderr);
    pr->progress_shown = 1;
    return 0;
}

static int on_warning(void *ud, const kusto_warning *w) {
    clear_progress(ud);
    fprintf(stderr, "kusto: warning: table '%s', row %zu, column '%s': %s, e.g. %s (%zu cell%s, delivered as sent)\n",
            w->table, w->row, w->column_name, w->reason, w->excerpt, w->count, w->count == 1 ? "" : "s");
    return 0;
}

static void on_leave(void *ud) {
    fflush(stdout);
}

static void on_enter(void *ud) {
}

static const kusto_builder printer_builder = {
    .begin_table = on_begin_table,
    .end_table = on_end_table,
    .begin_row = on_begin_row,
    .end_row = on_end_row,
    .value = on_value,
    .replace_rows = on_replace_rows,
    .enter = on_enter,
    .leave = on_leave,
    .warning = on_warning,
};

/* ---- arguments ----------------------------------------------------------------------------------- */

static const char usage[] =
    "usage: kusto [-c CONNECTION_STRING] [-d DATABASE] [--ca-file FILE] [-f table|csv|json] [--mgmt] [-v|-vv]\n"
    "             [-o NAME=VALUE]... [-p NAME=VALUE]... QUERY|-\n"
    "The connection string defaults to $KUSTO_CONNECTION_STRING. -o sets a client option (timeout, authority,\n"
    "sign_in ...), -p a request option (servertimeout, notruncation ...). -v says what the library does (sign-in,\n"
    "retries), -vv also the token cache. Exit status: 0, or the error class\n"
    "(1 argument, 2 connection string, 3 untrusted, 4 network, 5 timeout, 6 auth, 7 service, 8 throttled,\n"
    "9 protocol, 10 partial result, 13 unsupported).\n";

static int bad_usage(const char *message, const char *arg) {
    fprintf(stderr, "kusto: %s%s%s\n%s", message, arg ? ": " : "", arg ? arg : "", usage);
    return -1;
}

static int add_option(const char **list, size_t *count, const char *value) {
    if (!strchr(value, '=')) return bad_usage("expected NAME=VALUE", value);
    if (*count == MAX_OPTIONS) return bad_usage("too many options", NULL);
    list[(*count)++] = value;
    return 0;
}

static int parse_format(args *a, const char *name) {
    if (strcmp(name, "table") == 0) a->format = FORMAT_TABLE;
    else if (strcmp(name, "csv") == 0) a->format = FORMAT_CSV;
    else if (strcmp(name, "json") == 0) a->format = FORMAT_JSON;
    else return bad_usage("unknown format", name);
    return 0;
}

/* 0, 1 for --help, -1 for a usage error (printed). */
static int parse_args(args *a, int argc, char **argv) {
    a->connstr = getenv("KUSTO_CONNECTION_STRING");
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1, rc = 0;
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) return 1;
        if (!strcmp(arg, "--mgmt")) a->mgmt = 1, takes = 0;
        else if (!strcmp(arg, "-v") || !strcmp(arg, "-vv")) a->verbose = (int)strlen(arg) - 1, takes = 0;
        else if (arg[0] != '-' || !strcmp(arg, "-")) {
            if (a->query) return bad_usage("more than one query", arg);
            a->query = arg;
            takes = 0;
        } else if (!next) return bad_usage("missing value after", arg);
        else if (!strcmp(arg, "-c") || !strcmp(arg, "--connection-string")) a->connstr = next;
        else if (!strcmp(arg, "-d") || !strcmp(arg, "--database")) a->database = next;
        else if (!strcmp(arg, "--ca-file")) a->ca_file = next;
        else if (!strcmp(arg, "-f") || !strcmp(arg, "--format")) rc = parse_format(a, next);
        else if (!strcmp(arg, "-o")) rc = add_option(a->client_options, &a->client_option_count, next);
        else if (!strcmp(arg, "-p")) rc = add_option(a->request_options, &a->request_option_count, next);
        else return bad_usage("unknown option", arg);
        if (rc) return rc;
        i += takes;
    }
    if (!a->query) return bad_usage("no query given", NULL);
    if (!a->connstr || !*a->connstr) return bad_usage("no connection string (-c or KUSTO_CONNECTION_STRING)", NULL);
    return 0;
}

static char *read_stdin(void) {
    text t = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
        if (text_add(&t, buf, n)) break;
    return t.p ? t.p : strdup("");
}

/* "NAME=VALUE" as a copy of NAME and a pointer to VALUE. */
static char *split(const char *option, const char **value) {
    const char *eq = strchr(option, '=');
    *value = eq + 1;
    return strndup(option, (size_t)(eq - option));
}

static kusto_status make_options(const args *a, kusto_options **out) {
    kusto_status status = kusto_options_new(out);
    /* What the connection string gives, else DefaultAzureCredential's chain; -o sign_in=... replaces it. */
    if (status == KUSTO_OK) status = kusto_options_set(*out, "sign_in", "default");
    if (status == KUSTO_OK && a->ca_file) status = kusto_options_set(*out, "ca_file", a->ca_file);
    for (size_t i = 0; status == KUSTO_OK && i < a->client_option_count; i++) {
        const char *value;
        char *name = split(a->client_options[i], &value);
        status = name ? kusto_options_set(*out, name, value) : KUSTO_E_NOMEM;
        free(name);
    }
    return status;
}

/* Request options are typed as their text reads: true/false, an integer, else a string. */
static kusto_status set_request_option(kusto_request *req, const char *name, const char *value) {
    char *end;
    if (!strcmp(value, "true") || !strcmp(value, "false"))
        return kusto_request_set_option_bool(req, name, value[0] == 't');
    long long number = strtoll(value, &end, 10);
    if (*value && !*end) return kusto_request_set_option_int(req, name, number);
    return kusto_request_set_option_string(req, name, value);
}

static kusto_status make_request(const args *a, kusto_request **out) {
    kusto_status status = kusto_request_new(out);
    if (status == KUSTO_OK) status = kusto_request_set_application(*out, "kusto-cli");
    for (size_t i = 0; status == KUSTO_OK && i < a->request_option_count; i++) {
        const char *value;
        char *name = split(a->request_options[i], &value);
        status = name ? set_request_option(*out, name, value) : KUSTO_E_NOMEM;
        free(name);
    }
    return status;
}

static void report(kusto_status status, const kusto_error *err) {
    fprintf(stderr, "kusto: %s: %s", kusto_status_name(status), err ? kusto_error_message(err) : "failed");
    if (err && kusto_error_code(err)) fprintf(stderr, " (code %s)", kusto_error_code(err));
    if (err && kusto_error_request_id(err)) fprintf(stderr, " (request id %s)", kusto_error_request_id(err));
    fputc('\n', stderr);
    /* The library names its options; this tool spells them as flags. */
    if (err && strstr(kusto_error_message(err), "the ca_file option"))
        fputs("kusto: give this tool the CA's PEM bundle with --ca-file FILE\n", stderr);
    if (status == KUSTO_E_TIMEOUT) fputs("kusto: -o timeout=SECONDS sets the seconds for the whole call\n", stderr);
}

static kusto_status run(const args *a, const char *query, printer *pr, kusto_error **err) {
    kusto_options *opts = NULL;
    kusto_request *req = NULL;
    kusto_client *client = NULL;
    kusto_status status = make_options(a, &opts);
    if (status == KUSTO_OK) status = make_request(a, &req);
    if (status != KUSTO_OK) fputs("kusto: bad -o or -p option\n", stderr);
    if (status == KUSTO_OK) status = kusto_client_new(&client, a->connstr, opts, err);
    kusto_builder builder = printer_builder;
    if (isatty(STDERR_FILENO)) builder.progress = on_progress;
    if (status == KUSTO_OK)
        status = (a->mgmt ? kusto_client_mgmt : kusto_client_query)(client, a->database, query, req, &builder, pr, err);
    clear_progress(pr);
    clear_table(pr);
    kusto_client_free(client);
    kusto_request_free(req);
    kusto_options_free(opts);
    return status;
}

static void print_log(void *ud, kusto_log_level level, const char *message) {
    fprintf(stderr, "kusto: %s\n", message);
}

int main(int argc, char **argv) {
    args a = {0};
    int parsed = parse_args(&a, argc, argv);
    if (parsed) {
        if (parsed > 0) fputs(usage, stdout);
        return parsed > 0 ? 0 : 1;
    }
    if (a.verbose) kusto_set_log_callback(print_log, NULL, a.verbose > 1 ? KUSTO_LOG_DEBUG : KUSTO_LOG_INFO);
    char *stdin_query = strcmp(a.query, "-") == 0 ? read_stdin() : NULL;
    printer pr = {.format = a.format};
    kusto_error *err = NULL;
    kusto_status status = run(&a, stdin_query ? stdin_query : a.query, &pr, &err);
    fflush(stdout);
    if (pr.out_of_memory) status = KUSTO_E_NOMEM;
    if (status != KUSTO_OK) report(status, err);
    kusto_error_free(err);
    free(stdin_query);
    return status == KUSTO_OK ? 0 : -(int)status;
}

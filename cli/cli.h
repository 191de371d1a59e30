/*
 * The `kusto` command line, on libkusto's public API only. kusto.c: main and the one-shot run; args.c: the
 * command line; print.c: the output formats; session.c: a client kept for the queries of a run; script.c:
 * splitting text into queries; arrow.c: -F arrow; interactive.c: the prompt; lineedit.c: reading its lines
 * (readline); accounts.c: login, logout, accounts; text.c: growing strings and display widths.
 */
#ifndef KUSTO_CLI_H
#define KUSTO_CLI_H

#include <signal.h>
#include <stdio.h>

#include "kusto.h"

#define MAX_OPTIONS 64

/* ---- text (text.c) ------------------------------------------------------------------------------- */

typedef struct text {
    char *p;
    size_t len, cap;
} text;

int text_add(text *t, const char *p, size_t len);
int text_str(text *t, const char *s);
int text_json_string(text *t, const char *p, size_t len);
/* Columns `s` takes on a terminal (UTF-8: wide CJK 2, combining marks 0); ANSI escapes take none. */
size_t display_width(const char *s);
/* LC_CTYPE from the environment, else C.UTF-8: Kusto's text is UTF-8 whatever the locale says. */
void use_utf8_locale(void);

/* ---- output formats (print.c) -------------------------------------------------------------------- */

typedef enum format_id { FORMAT_TABLE, FORMAT_CSV, FORMAT_JSON, FORMAT_MARKDOWN, FORMAT_TSV, FORMAT_ARROW } format_id;

/* The format's number for a name; -1 when none is called that. */
int format_by_name(const char *name);
const char *format_name(format_id format);
extern const char format_names[]; /* "table|csv|json|markdown|tsv|arrow" */
/* Binary output (arrow), which is not for a terminal; written by arrow.c, not the printer. */
int format_is_binary(format_id format);

typedef struct printer printer;
struct printer {
    format_id format;
    FILE *out;
    int expanded;          /* table and markdown: one record per row, a line per column */
    const char *null_text; /* how table and markdown show null: "" unless set */
    int dim_null;          /* null_text dimmed (a terminal) */
    /* Called after each row is written (e.g. to start a pager once the output is taller than the screen). */
    void (*row_written)(printer *pr, void *ud);
    void *row_written_ud;
    /* The state of the current result */
    int in_primary, tables_printed;
    size_t width, column, rows;
    char **names;
    int *numeric; /* right-aligned columns */
    text *cells;
    unsigned char *nulls;
    char **sample; /* aligned formats: the first rows (NULL: a null cell) until the widths are known */
    size_t sampled;
    size_t *widths;
    int out_of_memory;
    int progress_shown;
    int stopped; /* the reader went away (a pager quit): the query stops */
};

extern const kusto_builder printer_builder;
/* Writes what is held back (an unfinished sample) and forgets the current table. */
void printer_finish(printer *pr);
int printer_progress(void *ud, int table_id, double percent);
/* A cell-in-another-form warning on standard error; `outcome` (e.g. "delivered as sent") may be NULL. */
void print_warning(const kusto_warning *w, const char *outcome);
void printer_clear_progress(printer *pr);

/* ---- arguments (args.c) -------------------------------------------------------------------------- */

typedef struct args {
    const char *connstr, *database, *query, *ca_file, *script, *null_text;
    int format; /* format_id, -1 until given */
    int mgmt, expanded, timing, no_cache;
    int verbose;         /* -v: the library's INFO messages on stderr, -vv: DEBUG too */
    const char *command; /* "login", "logout", "accounts" or NULL for a query */
    const char *command_arg;
    const char *client_options[MAX_OPTIONS], *request_options[MAX_OPTIONS], *params[MAX_OPTIONS];
    size_t client_option_count, request_option_count, param_count;
} args;

enum { ARGS_RUN, ARGS_DONE, ARGS_BAD };
/* ARGS_RUN, ARGS_DONE (--help or --version printed) or ARGS_BAD (a usage error printed). */
int parse_args(args *a, int argc, char **argv);
int bad_usage(const char *message, const char *arg);
/* "NAME=VALUE" as a copy of NAME and a pointer to VALUE. */
char *split_option(const char *option, const char **value);

/* ---- a client kept for the queries of a run (session.c) ------------------------------------------ */

typedef struct session {
    const args *a;
    kusto_client *client;
    kusto_request *req;
    char *database; /* \db changes it; NULL: the connection string's */
    int timing;
    double elapsed_ms; /* of the last query */
} session;

/* Set by Ctrl-C at the prompt: the running sign-in or query stops with KUSTO_E_CANCELLED. */
extern volatile sig_atomic_t cli_interrupted;

kusto_status session_open(session *s, const args *a, kusto_error **err);
/* Runs one query or control command (text starting with '.', or --mgmt) into `builder` with `ud`. */
kusto_status session_query(session *s, const char *query, const kusto_builder *builder, void *ud, kusto_error **err);
/* Runs one query or control command into `pr` (arrow: as an Arrow IPC stream, see arrow_write). */
kusto_status session_run(session *s, const char *query, printer *pr, kusto_error **err);
void session_close(session *s);
/* With --timing or \\timing: the last query's time on standard error, after its output. */
void session_timing(const session *s);
/* The client options of every run: the persistent token cache, the default sign-in, then -o. */
kusto_status make_client_options(const args *a, kusto_options **out);
void report(kusto_status status, const kusto_error *err);
/* The exit status of a status: 0, or the error class. */
int exit_status(kusto_status status);

/* ---- queries in text (script.c) ------------------------------------------------------------------ */

/* Lines in, queries out: a query ends at a blank line or at a line ending with ';' (unless that ';'
   ends a let, set, declare or alias statement, which a query follows). */
typedef struct splitter {
    text pending;
} splitter;

/* Adds a line (without its newline). Returns a query (malloc'd, trimmed, its ';' dropped) when the line
   ends one, else NULL (*oom set when memory ran out). */
char *splitter_line(splitter *sp, const char *line, int *oom);
/* What is left at the end of the input as a query, or NULL. */
char *splitter_end(splitter *sp);
int splitter_pending(const splitter *sp);
void splitter_reset(splitter *sp);
/* Runs every query of a file ("-": standard input), stopping at the first that fails. */
kusto_status run_script(session *s, const char *path, printer *pr, kusto_error **err);

/* ---- -F arrow (arrow.c) ------------------------------------------------------------------------- */

/* The whole result as Arrow columns, then its first primary result as an Arrow IPC stream to `out`;
   warnings on standard error. A result that failed part-way is written up to the rows received, without
   the end marker (a reader sees a stream cut short). */
kusto_status arrow_write(session *s, const char *query, FILE *out, kusto_error **err);

/* ---- reading lines at the prompt (lineedit.c) ----------------------------------------------------- */

/* Line editing and history from `history_file` (NULL: none), kept to its last lines at lineedit_end(). */
void lineedit_start(const char *history_file);
/* A line (malloc'd), or NULL at the end of input; *dropped when Ctrl-C (cli_interrupted) threw away what
   was typed. */
char *lineedit_read(const char *prompt, int *dropped);
/* Adds a line to the history and appends it to the file at once (two sessions both keep their lines). */
void lineedit_remember(const char *line);
void lineedit_end(void);

/* ---- the prompt (interactive.c) and the account commands (accounts.c) --------------------------- */

int run_interactive(const args *a);
int run_account_command(const args *a);

#endif

/*
 * kusto: run Kusto queries and control commands from the shell (or at its prompt) and print their primary
 * result table(s). `kusto --help` lists the options; README.md's "Command line" section shows them in use.
 *
 * Rows are printed as they arrive. Cells delivered in another form than their column's type are reported on
 * standard error ("kusto: warning: ..."); -o strict=true makes them an error. On a terminal, progressive
 * queries show their progress on standard error. Errors go to standard error; the exit status is the error
 * class: -kusto_status (1 usage or argument, 4 network, 6 authentication, 7 service, 10 partial result ...).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static char *read_stdin(void) {
    text t = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
        if (text_add(&t, buf, n)) break;
    return t.p ? t.p : strdup("");
}

/* A query given on the command line, or the queries of -f FILE. */
static int run_once(const args *a) {
    session s = {0};
    int terminal = isatty(STDOUT_FILENO);
    printer pr = {.format = a->format < 0 ? FORMAT_TABLE : (format_id)a->format,
                  .out = stdout,
                  .expanded = a->expanded,
                  .null_text = a->null_text ? a->null_text
                             : terminal     ? "null"
                                            : "",
                  .dim_null = terminal && !a->null_text};
    kusto_error *err = NULL;
    char *stdin_query = a->query && strcmp(a->query, "-") == 0 ? read_stdin() : NULL;
    kusto_status status = session_open(&s, a, &err);
    if (status == KUSTO_OK && a->script) status = run_script(&s, a->script, &pr, &err);
    else if (status == KUSTO_OK) status = session_run(&s, stdin_query ? stdin_query : a->query, &pr, &err);
    if (a->timing && !a->script) session_timing(&s);
    if (pr.out_of_memory) status = KUSTO_E_NOMEM;
    if (status != KUSTO_OK) report(status, err);
    kusto_error_free(err);
    session_close(&s);
    free(stdin_query);
    return exit_status(status);
}

static void print_log(void *ud, kusto_log_level level, const char *message) { fprintf(stderr, "kusto: %s\n", message); }

int main(int argc, char **argv) {
    use_utf8_locale();
    args a = {0};
    int parsed = parse_args(&a, argc, argv);
    if (parsed != ARGS_RUN) return parsed == ARGS_DONE ? 0 : 1;
    if (a.verbose) kusto_set_log_callback(print_log, NULL, a.verbose > 1 ? KUSTO_LOG_DEBUG : KUSTO_LOG_INFO);
    if (a.command) return run_account_command(&a);
    if (!a.query && !a.script) return run_interactive(&a);
    return run_once(&a);
}

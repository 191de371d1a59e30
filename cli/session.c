/* A client kept for every query of a run (the prompt's too), so sign-in and connections are reused. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

volatile sig_atomic_t cli_interrupted;

static int interrupted(void *ud) { return cli_interrupted; }

/*
 * The CLI's default sign-in and token cache, before -o (which wins). A person signs in once a day: tokens
 * go to the per-user token cache file (shared with MSAL; --no-cache or -o cache=memory keeps them in
 * memory). The sign-in method is the library's default (the first the connection string gives
 * credentials for, else interactive); a default credential chain, once the library has one, is chosen
 * here: kusto_options_set(opts, "sign_in", ...).
 */
/* The token cache file, and the connection string's credentials, else DefaultAzureCredential's chain
   (sign_in "default"); -o replaces either. */
static kusto_status set_defaults(const args *a, kusto_options *opts) {
    kusto_status status = a->no_cache ? KUSTO_OK : kusto_options_set(opts, "cache", "file");
    return status == KUSTO_OK ? kusto_options_set(opts, "sign_in", "default") : status;
}

kusto_status make_client_options(const args *a, kusto_options **out) {
    kusto_status status = kusto_options_new(out);
    if (status == KUSTO_OK) status = set_defaults(a, *out);
    if (status == KUSTO_OK) status = kusto_options_set_cancel_callback(*out, interrupted, NULL);
    if (status == KUSTO_OK && a->ca_file) status = kusto_options_set(*out, "ca_file", a->ca_file);
    for (size_t i = 0; status == KUSTO_OK && i < a->client_option_count; i++) {
        const char *value;
        char *name = split_option(a->client_options[i], &value);
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

typedef kusto_status (*set_fn)(kusto_request *req, const char *name, const char *value);

static kusto_status set_all(kusto_request *req, const char *const *list, size_t count, set_fn set) {
    kusto_status status = KUSTO_OK;
    for (size_t i = 0; status == KUSTO_OK && i < count; i++) {
        const char *value;
        char *name = split_option(list[i], &value);
        status = name ? set(req, name, value) : KUSTO_E_NOMEM;
        free(name);
    }
    return status;
}

static kusto_status make_request(const args *a, kusto_request **out) {
    kusto_status status = kusto_request_new(out);
    if (status == KUSTO_OK) status = kusto_request_set_application(*out, "kusto-cli");
    if (status == KUSTO_OK) status = set_all(*out, a->request_options, a->request_option_count, set_request_option);
    if (status == KUSTO_OK) status = set_all(*out, a->params, a->param_count, kusto_request_set_parameter);
    return status;
}

kusto_status session_open(session *s, const args *a, kusto_error **err) {
    kusto_options *opts = NULL;
    s->a = a;
    s->timing = a->timing;
    kusto_status status = make_client_options(a, &opts);
    if (status == KUSTO_OK) status = make_request(a, &s->req);
    if (status != KUSTO_OK) fputs("kusto: bad -o, -p or --param option\n", stderr);
    if (status == KUSTO_OK && a->database && !(s->database = strdup(a->database))) status = KUSTO_E_NOMEM;
    if (status == KUSTO_OK) status = kusto_client_new(&s->client, a->connstr, opts, err);
    kusto_options_free(opts);
    return status;
}

void session_close(session *s) {
    kusto_client_free(s->client);
    kusto_request_free(s->req);
    free(s->database);
    *s = (session){0};
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

kusto_status session_query(session *s, const char *query, const kusto_builder *builder, void *ud, kusto_error **err) {
    return (s->a->mgmt ? kusto_client_mgmt : kusto_client_query)(s->client, s->database, query, s->req, builder, ud,
                                                                 err);
}

kusto_status session_run(session *s, const char *query, printer *pr, kusto_error **err) {
    kusto_builder builder = printer_builder;
    if (isatty(STDERR_FILENO)) builder.progress = printer_progress;
    double start = now_ms();
    kusto_status status = pr->format == FORMAT_ARROW ? arrow_write(s, query, pr->out, err)
                                                     : session_query(s, query, &builder, pr, err);
    printer_clear_progress(pr);
    printer_finish(pr);
    fflush(pr->out);
    s->elapsed_ms = now_ms() - start;
    return status;
}

void session_timing(const session *s) {
    if (s->timing) fprintf(stderr, "Time: %.1f ms\n", s->elapsed_ms);
}

void report(kusto_status status, const kusto_error *err) {
    fprintf(stderr, "kusto: %s: %s", kusto_status_name(status), err ? kusto_error_message(err) : "failed");
    if (err && kusto_error_code(err)) fprintf(stderr, " (code %s)", kusto_error_code(err));
    if (err && kusto_error_request_id(err)) fprintf(stderr, " (request id %s)", kusto_error_request_id(err));
    fputc('\n', stderr);
    /* The library names its options; this tool spells them as flags. */
    if (err && strstr(kusto_error_message(err), "the ca_file option"))
        fputs("kusto: give this tool the CA's PEM bundle with --ca-file FILE\n", stderr);
    if (status == KUSTO_E_TIMEOUT) fputs("kusto: -o timeout=SECONDS sets the seconds for the whole call\n", stderr);
    if (status == KUSTO_E_UNTRUSTED && err && strstr(kusto_error_message(err), "token cache"))
        fputs("kusto: --no-cache keeps tokens in memory instead\n", stderr);
}

int exit_status(kusto_status status) { return status == KUSTO_OK ? 0 : -(int)status; }

/* One deadline per call, end to end: the `timeout` option bounds the cloud metadata, the OpenID discovery,
   the sign-in and the query together (see clock.h), against the emulator's stall and delay faults. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "clock.h"
#include "e2e.h"
#include "kusto.h"

static kusto_client *client_with_timeout(const char *seconds) {
    kusto_options *opts = NULL;
    kusto_client *client = NULL;
    kusto_options_new(&opts);
    kusto_options_set(opts, "ca_file", cfg("ca_file"));
    kusto_options_set(opts, "authority", cfg("authority"));
    kusto_options_set(opts, "timeout", seconds);
    CHECK_INT(kusto_client_new(&client, cfg("connection_string"), opts, NULL), KUSTO_OK);
    kusto_options_free(opts);
    return client;
}

/* The query's status, and how long it took in *elapsed_ms. */
static kusto_status timed_query(kusto_client *client, int64_t *elapsed_ms, kusto_error **err) {
    kusto_result *res = NULL;
    int64_t started = kusto_now_ms();
    kusto_status status = kusto_client_query_collect(client, NULL, "print 1", NULL, &res, err);
    *elapsed_ms = kusto_now_ms() - started;
    kusto_result_free(res);
    return status;
}

static void arm(const char *path, const char *what) {
    char fault[300];
    snprintf(fault, sizeof fault, "{\"path\": \"%s\", %s}", path, what);
    CHECK_INT(control("POST", "/faults", fault), 200);
}

/* A server that accepts and never answers the first request: the call ends at its deadline, not after the
   metadata's or the discovery's own 10 s. */
static void test_stalled_first_step(const char *path) {
    arm(path, "\"stall\": true");
    kusto_client *client = client_with_timeout("2");
    kusto_error *err = NULL;
    int64_t elapsed = 0;
    CHECK_INT(timed_query(client, &elapsed, &err), KUSTO_E_TIMEOUT);
    CHECK(elapsed >= 2000 && elapsed < 2500);
    if (elapsed < 2000 || elapsed >= 2500) fprintf(stderr, "stalled %s: %lld ms\n", path, (long long)elapsed);
    kusto_error_free(err);
    kusto_client_free(client);
    CHECK_INT(control("POST", "/reset", "{}"), 200);
}

/* Metadata, token and query each 1.5 s: each fits in 2.5 s, together they do not. */
static void test_slow_steps_share_one_deadline(void) {
    char token_path[200];
    snprintf(token_path, sizeof token_path, "/%s/oauth2/v2.0/token", cfg("tenant"));
    arm("/v1/rest/auth/metadata", "\"delay\": 1.5");
    arm(token_path, "\"delay\": 1.5");
    arm("/v2/rest/query", "\"delay\": 1.5");
    kusto_client *client = client_with_timeout("2.5");
    int queries = requests_to("/v2/rest/query");
    kusto_error *err = NULL;
    int64_t elapsed = 0;
    CHECK_INT(timed_query(client, &elapsed, &err), KUSTO_E_TIMEOUT);
    CHECK(elapsed >= 2500 && elapsed < 3000);
    CHECK_INT(requests_to("/v2/rest/query") - queries, 0); /* its turn came after the deadline */
    kusto_error_free(err);
    kusto_client_free(client);
    CHECK_INT(control("POST", "/reset", "{}"), 200);
}

int main(void) {
    if (load_config()) return 1;
    char discovery[200];
    snprintf(discovery, sizeof discovery, "/%s/v2.0/.well-known/openid-configuration", cfg("tenant"));
    CHECK_INT(control("POST", "/reset", "{}"), 200);
    test_stalled_first_step("/v1/rest/auth/metadata");
    test_stalled_first_step(discovery);
    test_slow_steps_share_one_deadline();
    cJSON_Delete(config);
    CHECK_DONE();
}

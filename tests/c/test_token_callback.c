/* The token callback sign-in: what the core passes the callback, owns from it, and reports on failure. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kusto.h"

static int calls;
static char last_resource[128];

static int give_token(void *ud, const char *resource, char **token, int64_t *expires_on, char **message) {
    calls++;
    snprintf(last_resource, sizeof last_resource, "%s", resource);
    *token = strdup((const char *)ud);
    *expires_on = 2000000000;
    return 0;
}

static int refuse(void *ud, const char *resource, char **token, int64_t *expires_on, char **message) {
    *message = strdup("vault is sealed");
    return 1;
}

static kusto_status acquire(kusto_token_callback fn, void *ud, kusto_token **token, kusto_error **err) {
    kusto_options *opts = NULL;
    kusto_options_new(&opts);
    kusto_options_set_token_callback(opts, fn, ud);
    kusto_status status = kusto_acquire_token(token, "Data Source=https://help.kusto.windows.net:443/db", opts, err);
    kusto_options_free(opts);
    return status;
}

static void test_the_callback_token_is_returned_uncached(void) {
    kusto_token *token = NULL;
    kusto_error *err = NULL;
    CHECK_INT(acquire(give_token, "tok-123", &token, &err), KUSTO_OK);
    CHECK_INT(calls, 1);
    CHECK_STR(last_resource, "https://help.kusto.windows.net");
    CHECK_STR(kusto_token_access_token(token), "tok-123");
    CHECK(kusto_token_expires_on(token) == 2000000000);
    CHECK_INT(kusto_token_from_cache(token), 0);
    kusto_token_free(token);
    kusto_error_free(err);
}

static void test_a_failing_callback_is_an_auth_error_with_its_message(void) {
    kusto_token *token = NULL;
    kusto_error *err = NULL;
    CHECK_INT(acquire(refuse, NULL, &token, &err), KUSTO_E_AUTH);
    CHECK(token == NULL);
    CHECK_STR(kusto_error_message(err), "the token callback failed: vault is sealed");
    kusto_error_free(err);
}

static kusto_status acquire_for(const char *connstr, const char *scope, kusto_token **token, kusto_error **err) {
    kusto_options *opts = NULL;
    kusto_client *client = NULL;
    kusto_options_new(&opts);
    kusto_options_set_token_callback(opts, give_token, "tok-456");
    kusto_status status = kusto_client_new(&client, connstr, opts, err);
    if (status == KUSTO_OK) status = kusto_client_acquire_token_for(client, scope, token, err);
    kusto_client_free(client);
    kusto_options_free(opts);
    return status;
}

static void test_a_token_for_another_scope_asks_for_its_resource(void) {
    kusto_token *token = NULL;
    kusto_error *err = NULL;
    const char *cs = "Data Source=https://help.kusto.windows.net";
    CHECK_INT(acquire_for(cs, "https://storage.azure.com/.default", &token, &err), KUSTO_OK);
    CHECK_STR(last_resource, "https://storage.azure.com");
    CHECK_STR(kusto_token_access_token(token), "tok-456");
    kusto_token_free(token);
    CHECK_INT(acquire_for(cs, "api://1234", &token, &err), KUSTO_OK);
    CHECK_STR(last_resource, "api://1234");
    kusto_token_free(token);
    CHECK_INT(acquire_for(cs, NULL, &token, &err), KUSTO_OK);
    CHECK_STR(last_resource, "https://help.kusto.windows.net");
    kusto_token_free(token);
    CHECK_INT(acquire_for(cs, "https://a/.default https://b/.default", &token, &err), KUSTO_E_ARGUMENT);
    CHECK(token == NULL);
    CHECK(strstr(kusto_error_message(err), "one scope per token") != NULL);
    kusto_error_free(err);
    err = NULL;
    CHECK_INT(acquire_for("Data Source=https://help.kusto.windows.net;Fed=True;User Token=secret-tok",
                          "https://storage.azure.com/.default", &token, &err),
              KUSTO_E_UNSUPPORTED);
    CHECK_STR(kusto_error_message(err), "a User Token brought in the connection string is for the cluster only, "
                                        "not for https://storage.azure.com");
    kusto_error_free(err);
}

int main(void) {
    test_the_callback_token_is_returned_uncached();
    test_a_token_for_another_scope_asks_for_its_resource();
    test_a_failing_callback_is_an_auth_error_with_its_message();
    CHECK_DONE();
}

/* Sign-in with what the environment provides, end to end against a running emulator (see dev.sh):
   managed identity, workload identity, environment credentials and the Azure CLI. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "e2e.h"
#include "kusto.h"

static const char *connstr(void) {
    static char text[600];
    snprintf(text, sizeof text, "Data Source=%s;Initial Catalog=%s;AAD Federated Security=True", cfg("cluster"),
             cfg("database"));
    return text;
}

/* Signs in with `sign_in` and the extra option pair (may be NULL); the status, and the token in *out. */
static kusto_status sign_in(const char *method, const char *name, const char *value, kusto_token **out,
                            kusto_error **err) {
    kusto_options *opts = NULL;
    kusto_options_new(&opts);
    kusto_options_set(opts, "ca_file", cfg("ca_file"));
    kusto_options_set(opts, "sign_in", method);
    if (name) kusto_options_set(opts, name, value);
    kusto_status status = kusto_acquire_token(out, connstr(), opts, err);
    kusto_options_free(opts);
    return status;
}

static void test_managed_identity_imds(void) {
    char url[300];
    snprintf(url, sizeof url, "%s/metadata/identity/oauth2/token", cfg("imds_endpoint"));
    int before = requests_to("/metadata/identity/oauth2/token");
    kusto_token *token = NULL;
    CHECK_INT(sign_in("managed_identity", "managed_identity_endpoint", url, &token, NULL), KUSTO_OK);
    CHECK_STR(kusto_token_type(token), "Bearer");
    CHECK_STR(kusto_token_resource(token), cfg("resource"));
    CHECK(kusto_token_expires_on(token) > (int64_t)time(NULL) + 3000);
    CHECK_INT(requests_to("/metadata/identity/oauth2/token"), before + 1);
    kusto_token_free(token);
}

static void test_managed_identity_app_service_error(void) {
    setenv("IDENTITY_ENDPOINT", cfg("identity_endpoint"), 1);
    setenv("IDENTITY_HEADER", "not-the-header", 1);
    kusto_token *token = NULL;
    kusto_error *err = NULL;
    CHECK_INT(sign_in("managed_identity", NULL, NULL, &token, &err), KUSTO_E_AUTH);
    CHECK_INT(kusto_error_http_status(err), 401);
    CHECK(strstr(kusto_error_message(err), "X-IDENTITY-HEADER is missing or wrong") != NULL);
    CHECK(kusto_error_request_id(err) != NULL);
    kusto_error_free(err);
    setenv("IDENTITY_HEADER", cfg("identity_header"), 1);
    CHECK_INT(sign_in("managed_identity", NULL, NULL, &token, NULL), KUSTO_OK);
    kusto_token_free(token);
    unsetenv("IDENTITY_ENDPOINT");
    unsetenv("IDENTITY_HEADER");
}

static void test_workload_identity(void) {
    setenv("AZURE_FEDERATED_TOKEN_FILE", cfg("federated_token_file"), 1);
    setenv("AZURE_CLIENT_ID", cfg("federated_client_id"), 1);
    setenv("AZURE_TENANT_ID", cfg("tenant"), 1);
    setenv("AZURE_AUTHORITY_HOST", cfg("login_endpoint"), 1);
    kusto_token *token = NULL;
    CHECK_INT(sign_in("workload_identity", NULL, NULL, &token, NULL), KUSTO_OK);
    CHECK(kusto_token_authority(token) && strcasecmp(kusto_token_authority(token), cfg("authority")) == 0);
    kusto_token_free(token);
    kusto_error *err = NULL;
    setenv("AZURE_FEDERATED_TOKEN_FILE", "/nonexistent/token", 1);
    CHECK_INT(sign_in("workload_identity", NULL, NULL, &token, &err), KUSTO_E_ARGUMENT);
    CHECK(strstr(kusto_error_message(err), "/nonexistent/token") != NULL);
    kusto_error_free(err);
    unsetenv("AZURE_FEDERATED_TOKEN_FILE");
}

static void test_environment_secret(void) {
    setenv("AZURE_CLIENT_ID", cfg("client_id"), 1);
    setenv("AZURE_CLIENT_SECRET", cfg("client_secret"), 1);
    kusto_token *token = NULL;
    CHECK_INT(sign_in("environment", NULL, NULL, &token, NULL), KUSTO_OK);
    kusto_token_free(token);
    unsetenv("AZURE_CLIENT_SECRET");
    kusto_error *err = NULL;
    CHECK_INT(sign_in("environment", NULL, NULL, &token, &err), KUSTO_E_ARGUMENT);
    CHECK(strstr(kusto_error_message(err), "sign_in 'environment' lacks its credentials") != NULL);
    kusto_error_free(err);
}

static void test_azure_cli(void) {
    char dir[] = "/tmp/kusto-fake-az-XXXXXX", script[300], path[4200];
    if (!mkdtemp(dir)) return;
    snprintf(script, sizeof script, "%s/az", dir);
    FILE *f = fopen(script, "w");
    fputs("#!/bin/sh\necho \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n", f);
    fclose(f);
    chmod(script, 0700);
    const char *old_path = getenv("PATH");
    char *saved = strdup(old_path ? old_path : "/usr/bin:/bin");
    snprintf(path, sizeof path, "%s:%s", dir, saved);
    setenv("PATH", path, 1);
    kusto_token *token = NULL;
    kusto_error *err = NULL;
    CHECK_INT(sign_in("azure_cli", NULL, NULL, &token, &err), KUSTO_E_AUTH);
    CHECK(strstr(kusto_error_message(err), "Please run 'az login'") != NULL);
    kusto_error_free(err);
    setenv("PATH", saved, 1);
    free(saved);
    unlink(script);
    rmdir(dir);
}

int main(void) {
    if (load_config()) return 1;
    test_managed_identity_imds();
    test_managed_identity_app_service_error();
    test_workload_identity();
    test_environment_secret();
    test_azure_cli();
    cJSON_Delete(config);
    CHECK_DONE();
}

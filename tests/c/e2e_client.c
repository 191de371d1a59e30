/* The C library end to end against a running emulator (see dev.sh: KUSTO_EMULATOR_CONFIG is its
   configuration line, KUSTO_EMULATOR_LOG the JSON lines of the requests it received). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kusto.h"

static cJSON *config;

static char *read_file(const char *path) {
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = calloc(1, (size_t)size + 1);
    if (text && fread(text, 1, (size_t)size, f) != (size_t)size) text[0] = '\0';
    fclose(f);
    return text;
}

static const char *cfg(const char *key) { return cJSON_GetStringValue(cJSON_GetObjectItem(config, key)); }

/* How many requests the emulator has received whose path starts with `prefix`. */
static int requests_to(const char *prefix) {
    char *log = read_file(getenv("KUSTO_EMULATOR_LOG"));
    int count = 0;
    for (char *line = log ? strtok(log, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        cJSON *record = cJSON_Parse(line);
        const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(record, "path"));
        if (path && strncmp(path, prefix, strlen(prefix)) == 0) count++;
        cJSON_Delete(record);
    }
    free(log);
    return count;
}

static kusto_client *client_for(const char *connstr) {
    kusto_options *opts = NULL;
    kusto_client *client = NULL;
    kusto_error *err = NULL;
    kusto_options_new(&opts);
    kusto_options_set(opts, "ca_file", cfg("ca_file"));
    kusto_status status = kusto_client_new(&client, connstr, opts, &err);
    if (status != KUSTO_OK) fprintf(stderr, "client: %s\n", kusto_error_message(err));
    kusto_options_free(opts);
    kusto_error_free(err);
    return client;
}

static char *token_path(void) {
    static char path[200];
    snprintf(path, sizeof path, "/%s/oauth2/v2.0/token", cfg("tenant"));
    return path;
}

static void test_token_is_cached(void) {
    kusto_client *client = client_for(cfg("connection_string"));
    kusto_token *first = NULL, *second = NULL;
    int before = requests_to(token_path());
    CHECK_INT(kusto_client_acquire_token(client, &first, NULL), KUSTO_OK);
    CHECK_INT(kusto_client_acquire_token(client, &second, NULL), KUSTO_OK);
    CHECK_INT(requests_to(token_path()) - before, 1);
    CHECK(first && !kusto_token_from_cache(first) && strlen(kusto_token_access_token(first)) > 20);
    CHECK(second && kusto_token_from_cache(second));
    CHECK_STR(second ? kusto_token_resource(second) : NULL, cfg("resource"));
    CHECK_STR(second ? kusto_token_type(second) : NULL, "Bearer");
    kusto_token_free(first);
    kusto_token_free(second);
    kusto_client_free(client);
}

static void test_query_typed_values(void) {
    kusto_client *client = client_for(cfg("connection_string"));
    kusto_result *res = NULL;
    kusto_error *err = NULL;
    kusto_status status = kusto_client_query_collect(
        client, NULL, "print l=9223372036854775807, r=1.5, b=true, s='hé', d=datetime(2020-02-29T01:02:03.1234567Z), "
                      "t=timespan(1.02:03:04), g=guid(01234567-89ab-cdef-0123-456789abcdef)", NULL, &res, &err);
    CHECK_INT(status, KUSTO_OK);
    const kusto_table *primary = NULL;
    for (size_t i = 0; res && i < kusto_result_table_count(res); i++)
        if (strcmp(kusto_table_info_of(kusto_result_table(res, i))->kind, "PrimaryResult") == 0)
            primary = kusto_result_table(res, i);
    CHECK(primary && kusto_table_row_count(primary) == 1);
    if (primary) {
        CHECK_INT(kusto_table_value(primary, 0, 0)->u.i, INT64_MAX);
        CHECK(kusto_table_value(primary, 0, 1)->u.r == 1.5);
        CHECK_INT(kusto_table_value(primary, 0, 2)->u.b, 1);
        CHECK(kusto_table_value(primary, 0, 3)->u.text.len == 3);
        char text[40];
        kusto_datetime_format(kusto_table_value(primary, 0, 4)->u.ticks, text);
        CHECK_STR(text, "2020-02-29T01:02:03.1234567Z");
        kusto_timespan_format(kusto_table_value(primary, 0, 5)->u.ticks, text);
        CHECK_STR(text, "1.02:03:04");
        CHECK_INT(kusto_table_value(primary, 0, 6)->kind, KUSTO_VALUE_GUID);
    }
    kusto_result_free(res);
    kusto_error_free(err);
    kusto_client_free(client);
}

static void test_mgmt_show_version(void) {
    kusto_client *client = client_for(cfg("connection_string"));
    kusto_result *res = NULL;
    CHECK_INT(kusto_client_mgmt_collect(client, NULL, ".show version", NULL, &res, NULL), KUSTO_OK);
    CHECK(res && kusto_result_table_count(res) >= 1);
    if (res) CHECK_STR(kusto_table_info_of(kusto_result_table(res, 0))->columns[0].name, "BuildVersion");
    kusto_result_free(res);
    kusto_client_free(client);
}

static void test_semantic_error(void) {
    kusto_client *client = client_for(cfg("connection_string"));
    kusto_result *res = NULL;
    kusto_error *err = NULL;
    CHECK_INT(kusto_client_query_collect(client, NULL, "NoSuchTable | take 1", NULL, &res, &err), KUSTO_E_SERVICE);
    CHECK(res == NULL);
    CHECK_STR(kusto_error_code(err), "General_BadRequest");
    CHECK_INT(kusto_error_permanent(err), 1);
    CHECK_INT(kusto_error_http_status(err), 400);
    CHECK(strstr(kusto_error_message(err), "SEM0100") != NULL);
    kusto_error_free(err);
    kusto_client_free(client);
}

static void test_wrong_secret(void) {
    char connstr[1024];
    snprintf(connstr, sizeof connstr, "%s;Application Key=wrong-secret-value", cfg("connection_string"));
    kusto_client *client = client_for(connstr);
    kusto_token *token = NULL;
    kusto_error *err = NULL;
    CHECK_INT(kusto_client_acquire_token(client, &token, &err), KUSTO_E_AUTH);
    CHECK_INT(kusto_error_aadsts(err), 7000215);
    CHECK_STR(kusto_error_code(err), "invalid_client");
    CHECK(strstr(kusto_error_message(err), "wrong-secret-value") == NULL);
    CHECK(kusto_error_request_id(err) != NULL);
    kusto_error_free(err);
    kusto_client_free(client);
}

/* The cluster's metadata names the login endpoint (only a tenant given here) and the resource; asked
   once per client, before the first token. */
static void test_cloud_metadata_once_per_client(void) {
    char connstr[1024];
    snprintf(connstr, sizeof connstr, "%s;Authority Id=%s", cfg("connection_string"), cfg("tenant"));
    int metadata_before = requests_to("/v1/rest/auth/metadata"), tokens_before = requests_to(token_path());
    kusto_client *client = client_for(connstr);
    CHECK_INT(requests_to("/v1/rest/auth/metadata") - metadata_before, 0); /* kusto_client_new: no request */
    kusto_result *res = NULL;
    kusto_error *err = NULL;
    for (int i = 0; i < 2; i++) {
        CHECK_INT(kusto_client_query_collect(client, NULL, "print 1", NULL, &res, &err), KUSTO_OK);
        if (err) fprintf(stderr, "query: %s\n", kusto_error_message(err));
        kusto_result_free(res);
        res = NULL;
    }
    kusto_token *token = NULL;
    CHECK_INT(kusto_client_acquire_token(client, &token, NULL), KUSTO_OK);
    CHECK_STR(token ? kusto_token_resource(token) : NULL, cfg("resource"));
    CHECK_INT(requests_to("/v1/rest/auth/metadata") - metadata_before, 1);
    CHECK_INT(requests_to(token_path()) - tokens_before, 1);
    kusto_token_free(token);
    kusto_error_free(err);
    kusto_client_free(client);
}

static void test_untrusted_host_gets_nothing(void) {
    char connstr[1024];
    snprintf(connstr, sizeof connstr, "%s;Data Source=https://kusto.attacker.example.com", cfg("connection_string"));
    kusto_client *client = client_for(connstr);
    kusto_result *res = NULL;
    kusto_error *err = NULL;
    int before = requests_to("/");
    CHECK_INT(kusto_client_query_collect(client, NULL, "print 1", NULL, &res, &err), KUSTO_E_UNTRUSTED);
    CHECK(strstr(kusto_error_message(err), "kusto.attacker.example.com") != NULL);
    CHECK_INT(requests_to("/") - before, 0);
    kusto_error_free(err);
    kusto_client_free(client);
}

static void test_no_authentication_sends_no_token(void) {
    char connstr[512];
    snprintf(connstr, sizeof connstr, "Data Source=%s;Initial Catalog=Samples", cfg("cluster"));
    kusto_client *client = client_for(connstr);
    kusto_result *res = NULL;
    kusto_error *err = NULL;
    int before = requests_to(token_path()), metadata_before = requests_to("/v1/rest/auth/metadata");
    CHECK_INT(kusto_client_query_collect(client, NULL, "print 1", NULL, &res, &err), KUSTO_E_AUTH);
    CHECK_INT(kusto_error_http_status(err), 401);
    CHECK_INT(requests_to(token_path()) - before, 0);
    CHECK_INT(requests_to("/v1/rest/auth/metadata") - metadata_before, 0);
    kusto_error_free(err);
    kusto_client_free(client);
}

static void test_server_down(void) {
    kusto_client *client = client_for("Data Source=https://127.0.0.1:1;AAD Federated Security=False");
    kusto_result *res = NULL;
    kusto_error *err = NULL;
    CHECK_INT(kusto_client_query_collect(client, NULL, "print 1", NULL, &res, &err), KUSTO_E_NETWORK);
    CHECK(strstr(kusto_error_message(err), "127.0.0.1") != NULL);
    kusto_error_free(err);
    kusto_client_free(client);
}

int main(void) {
    char *text = read_file(getenv("KUSTO_EMULATOR_CONFIG"));
    config = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!config) {
        fprintf(stderr, "KUSTO_EMULATOR_CONFIG must name the emulator's configuration file\n");
        return 1;
    }
    test_token_is_cached();
    test_query_typed_values();
    test_mgmt_show_version();
    test_semantic_error();
    test_wrong_secret();
    test_cloud_metadata_once_per_client();
    test_untrusted_host_gets_nothing();
    test_no_authentication_sends_no_token();
    test_server_down();
    cJSON_Delete(config);
    CHECK_DONE();
}

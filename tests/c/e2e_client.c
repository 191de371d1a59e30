/* The C library end to end against a running emulator (see dev.sh: KUSTO_EMULATOR_CONFIG is its
   configuration line, KUSTO_EMULATOR_LOG the JSON lines of the requests it received). */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "clock.h"
#include "e2e.h"
#include "kusto.h"

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
        client, NULL,
        "print l=9223372036854775807, r=1.5, b=true, s='hé', d=datetime(2020-02-29T01:02:03.1234567Z), "
        "t=timespan(1.02:03:04), g=guid(01234567-89ab-cdef-0123-456789abcdef)",
        NULL, &res, &err);
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

/* Typed parameters: the emulator gets the declare statement after the set statement and the literals, and
   answers with the typed values. */
static void test_typed_parameters(void) {
    kusto_client *client = client_for(cfg("connection_string"));
    kusto_request *req = NULL;
    kusto_request_new(&req);
    const char text[] = "say \"hi\" \\ \n\t\x01 \xc3\xbc";
    CHECK_INT(kusto_request_set_parameter_long(req, "l", INT64_MIN, NULL), KUSTO_OK);
    CHECK_INT(kusto_request_set_parameter_real(req, "r", -INFINITY, NULL), KUSTO_OK);
    CHECK_INT(kusto_request_set_parameter_string(req, "s", text, sizeof text - 1, NULL), KUSTO_OK);
    CHECK_INT(kusto_request_set_parameter_datetime(req, "d", INT64_C(3155378975999999999), NULL), KUSTO_OK);
    CHECK_INT(kusto_request_set_parameter_timespan(req, "t", -INT64_C(15), NULL), KUSTO_OK);
    CHECK_INT(kusto_request_set_parameter_guid(req, "g", "01234567-89AB-cdef-0123-456789abcdef", NULL), KUSTO_OK);
    CHECK_INT(kusto_request_set_parameter_decimal(req, "m", "-0.125", NULL), KUSTO_OK);
    CHECK_INT(kusto_request_set_parameter_dynamic(req, "y", "{\"a\": [1, \"\\/\"]}", 16, NULL), KUSTO_OK);
    kusto_result *res = NULL;
    kusto_error *err = NULL;
    int before = requests_to("/v2/rest/query");
    kusto_status status = kusto_client_query_collect(client, NULL, "set notruncation;\nprint l, r, s, d, t, g, m, y",
                                                     req, &res, &err);
    CHECK_INT(status, KUSTO_OK);
    if (status != KUSTO_OK) fprintf(stderr, "typed parameters: %s\n", kusto_error_message(err));
    const kusto_table *primary = NULL;
    for (size_t i = 0; res && i < kusto_result_table_count(res); i++)
        if (strcmp(kusto_table_info_of(kusto_result_table(res, i))->kind, "PrimaryResult") == 0)
            primary = kusto_result_table(res, i);
    CHECK(primary && kusto_table_row_count(primary) == 1);
    if (primary && kusto_table_row_count(primary) == 1) {
        const kusto_table_info *info = kusto_table_info_of(primary);
        const char *types[] = {"long", "real", "string", "datetime", "timespan", "guid", "decimal", "dynamic"};
        for (size_t i = 0; i < 8; i++) CHECK_STR(kusto_type_name(info->columns[i].type), types[i]);
        CHECK_INT(kusto_table_value(primary, 0, 0)->u.i, INT64_MIN);
        CHECK(kusto_table_value(primary, 0, 1)->u.r == -INFINITY);
        const kusto_value *s = kusto_table_value(primary, 0, 2);
        CHECK(s->u.text.len == sizeof text - 1 && memcmp(s->u.text.ptr, text, sizeof text - 1) == 0);
        CHECK_INT(kusto_table_value(primary, 0, 3)->u.ticks, INT64_C(3155378975999999999));
        CHECK_INT(kusto_table_value(primary, 0, 4)->u.ticks, -15);
        const kusto_value *m = kusto_table_value(primary, 0, 6);
        CHECK(m->u.text.len == 6 && memcmp(m->u.text.ptr, "-0.125", 6) == 0);
    }
    cJSON *sent = requests("/v2/rest/query");
    cJSON *body = cJSON_GetObjectItem(cJSON_GetArrayItem(sent, cJSON_GetArraySize(sent) - 1), "body");
    CHECK_INT(cJSON_GetArraySize(sent) - before, 1);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(body, "csl")),
              "set notruncation;\ndeclare query_parameters(l:long, r:real, s:string, d:datetime, t:timespan, g:guid, "
              "m:decimal, y:dynamic);\nprint l, r, s, d, t, g, m, y");
    cJSON *parameters = cJSON_GetObjectItem(cJSON_GetObjectItem(body, "properties"), "Parameters");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(parameters, "r")), "real(-inf)");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(parameters, "y")), "dynamic({\"a\":[1,\"/\"]})");
    cJSON_Delete(sent);
    kusto_result_free(res);
    kusto_error_free(err);
    kusto_request_free(req);
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
    kusto_process_state_clear(); /* as a new process: no metadata kept from the tests before */
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

/* ---- sign-ins by a person: the test plays the person through the emulator's control API ---- */

static char *user_connstr(void) {
    static char cs[600];
    snprintf(cs, sizeof cs, "Data Source=%s;Initial Catalog=%s;AAD Federated Security=True;Authority Id=%s",
             cfg("cluster"), cfg("database"), cfg("authority"));
    return cs;
}

typedef struct prompt_seen {
    int calls;
    int cancel;
    char message[400];
} prompt_seen;

static int approve_device_code(void *ud, const kusto_device_code_info *info) {
    prompt_seen *seen = ud;
    seen->calls++;
    snprintf(seen->message, sizeof seen->message, "%s", info->message);
    if (seen->cancel) return 1;
    char body[200];
    snprintf(body, sizeof body, "{\"user_code\": \"%s\"}", info->user_code);
    return control("POST", "/device/approve", body) == 200 ? 0 : 1;
}

static kusto_status sign_in_with(const char *method, kusto_options *opts, kusto_token **token, kusto_error **err) {
    kusto_options_set(opts, "ca_file", cfg("ca_file"));
    kusto_options_set(opts, "sign_in", method);
    kusto_client *client = NULL;
    kusto_status status = kusto_client_new(&client, user_connstr(), opts, err);
    if (status == KUSTO_OK) status = kusto_client_acquire_token(client, token, err);
    kusto_result *res = NULL;
    if (status == KUSTO_OK) CHECK_INT(kusto_client_query_collect(client, NULL, "print 1", NULL, &res, NULL), KUSTO_OK);
    kusto_result_free(res);
    kusto_client_free(client);
    return status;
}

static void test_device_code_sign_in(void) {
    CHECK_INT(control("POST", "/settings", "{\"device_code_interval\": 1}"), 200);
    prompt_seen seen = {0};
    kusto_options *opts = NULL;
    kusto_options_new(&opts);
    CHECK_INT(kusto_options_set_device_code_callback(opts, approve_device_code, &seen), KUSTO_OK);
    kusto_token *token = NULL;
    kusto_error *err = NULL;
    CHECK_INT(sign_in_with("device_code", opts, &token, &err), KUSTO_OK);
    CHECK_INT(seen.calls, 1);
    CHECK(strstr(seen.message, "/devicelogin and enter the code ") != NULL);
    CHECK(token && strlen(kusto_token_access_token(token)) > 20 && !kusto_token_from_cache(token));
    if (err) fprintf(stderr, "device code: %s\n", kusto_error_message(err));
    kusto_token_free(token);
    kusto_error_free(err);

    seen.cancel = 1;
    err = NULL;
    token = NULL;
    CHECK_INT(sign_in_with("device_code", opts, &token, &err), KUSTO_E_CANCELLED);
    CHECK(token == NULL && err && strstr(kusto_error_message(err), "cancelled"));
    kusto_error_free(err);
    kusto_options_free(opts);
    CHECK_INT(control("POST", "/reset", "{}"), 200);
}

typedef struct awaited {
    int prompts, asked; /* how often the prompt was shown, and the cancel callback asked */
} awaited;

static int note_prompt(void *ud, const kusto_device_code_info *info) {
    (void)info;
    ((awaited *)ud)->prompts++;
    return 0;
}

/* Stops the sign-in once the prompt was shown. */
static int cancel_after_prompt(void *ud) {
    awaited *a = ud;
    a->asked++;
    return a->prompts > 0;
}

static void test_device_code_sign_in_cancelled_while_waiting(void) {
    CHECK_INT(control("POST", "/settings", "{\"device_code_interval\": 5}"), 200);
    awaited seen = {0, 0};
    kusto_options *opts = NULL;
    kusto_options_new(&opts);
    CHECK_INT(kusto_options_set_device_code_callback(opts, note_prompt, &seen), KUSTO_OK);
    CHECK_INT(kusto_options_set_cancel_callback(opts, cancel_after_prompt, &seen), KUSTO_OK);
    CHECK_INT(kusto_options_set_cancel_callback(NULL, cancel_after_prompt, &seen), KUSTO_E_ARGUMENT);
    kusto_token *token = NULL;
    kusto_error *err = NULL;
    int64_t started = kusto_now_ms();
    CHECK_INT(sign_in_with("device_code", opts, &token, &err), KUSTO_E_CANCELLED);
    CHECK(kusto_now_ms() - started < 3000); /* not the 5 s poll interval */
    CHECK(token == NULL && err && strcmp(kusto_error_message(err), "the sign-in was cancelled") == 0);
    CHECK_INT(seen.prompts, 1);
    CHECK(seen.asked >= 2); /* during the device code request, then in the wait */
    kusto_error_free(err);
    kusto_options_free(opts);
    CHECK_INT(control("POST", "/reset", "{}"), 200);
}

typedef struct fake_browser {
    pthread_t thread;
    int started;
    char url[2048];
    long status; /* of the loopback listener's page */
} fake_browser;

static void *visit(void *arg) {
    fake_browser *b = arg;
    CURL *curl = curl_easy_init();
    FILE *sink = fopen("/dev/null", "w");
    curl_easy_setopt(curl, CURLOPT_URL, b->url);
    curl_easy_setopt(curl, CURLOPT_CAINFO, cfg("ca_file"));
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L); /* the emulator's 302 to the loopback listener */
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
    if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &b->status);
    fclose(sink);
    curl_easy_cleanup(curl);
    return NULL;
}

static int open_fake_browser(void *ud, const char *url) {
    fake_browser *b = ud;
    snprintf(b->url, sizeof b->url, "%s", url);
    b->started = pthread_create(&b->thread, NULL, visit, b) == 0;
    return b->started ? 0 : 1;
}

static void test_interactive_sign_in(void) {
    fake_browser browser = {0};
    kusto_options *opts = NULL;
    kusto_options_new(&opts);
    CHECK_INT(kusto_options_set_browser_callback(opts, open_fake_browser, &browser), KUSTO_OK);
    kusto_token *token = NULL;
    kusto_error *err = NULL;
    CHECK_INT(sign_in_with("interactive", opts, &token, &err), KUSTO_OK);
    if (browser.started) pthread_join(browser.thread, NULL);
    CHECK_INT(browser.status, 200);
    CHECK(strstr(browser.url, "code_challenge_method=S256") &&
          strstr(browser.url, "redirect_uri=http%3A%2F%2Flocalhost%3A"));
    CHECK(token && strlen(kusto_token_access_token(token)) > 20);
    if (err) fprintf(stderr, "interactive: %s\n", kusto_error_message(err));
    kusto_token_free(token);
    kusto_error_free(err);
    kusto_options_free(opts);
}

int main(void) {
    if (load_config()) return 1;
    test_token_is_cached();
    test_query_typed_values();
    test_typed_parameters();
    test_mgmt_show_version();
    test_semantic_error();
    test_wrong_secret();
    test_cloud_metadata_once_per_client();
    test_untrusted_host_gets_nothing();
    test_no_authentication_sends_no_token();
    test_server_down();
    test_device_code_sign_in();
    test_device_code_sign_in_cancelled_while_waiting();
    test_interactive_sign_in();
    cJSON_Delete(config);
    CHECK_DONE();
}

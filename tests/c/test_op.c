/* kusto_op's decisions without a network: the test is the caller, answering each request the op asks for
   with head/body/end (or a failure), as a driver would from the wire. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "clock.h"
#include "files.h"
#include "kusto.h"
#include "op.h"
#include "parser.h"
#include "seam.h"

static const char *const json_head[] = {"Content-Type: application/json", NULL};
static char cluster[64], tenant_url[96];

static kusto_client *client_on(int port, const char *name, const char *value, const char *name2, const char *value2) {
    char connstr[400];
    snprintf(cluster, sizeof cluster, "https://127.0.0.1:%d", port);
    snprintf(tenant_url, sizeof tenant_url, "%s/tenant", cluster);
    snprintf(connstr, sizeof connstr,
             "Data Source=%s;AAD Federated Security=True;Application Client Id=app;"
             "Application Key=s3cret;Authority Id=%s",
             cluster, tenant_url);
    kusto_options *opts = NULL;
    kusto_client *client = NULL;
    kusto_options_new(&opts);
    if (name) kusto_options_set(opts, name, value);
    if (name2) kusto_options_set(opts, name2, value2);
    CHECK_INT(kusto_client_new(&client, connstr, opts, NULL), KUSTO_OK);
    kusto_options_free(opts);
    return client;
}

/* A whole answer through head/body/end; what kusto_op_end returned. */
static int answer(kusto_op *op, long status, const char *const *headers, const char *body) {
    CHECK_INT(kusto_op_head(op, status, headers ? headers : json_head), 0);
    if (body && *body) CHECK_INT(kusto_op_body(op, body, strlen(body)), 0);
    return kusto_op_end(op);
}

static int has_header(const kusto_op_request *r, const char *prefix) {
    for (size_t i = 0; r->headers[i]; i++)
        if (strncmp(r->headers[i], prefix, strlen(prefix)) == 0) return 1;
    return 0;
}

static int ends_with(const char *text, const char *suffix) {
    size_t n = strlen(text), m = strlen(suffix);
    return n >= m && strcmp(text + n - m, suffix) == 0;
}

/* The cloud metadata and the authority's OpenID configuration, asked for and answered; what the last
   kusto_op_end returned (-1: the op failed as that answer came in). */
static int answer_cloud(kusto_op *op, kusto_op_request *r) {
    char body[400];
    CHECK_INT(kusto_op_next(op, r), KUSTO_OP_SEND);
    CHECK(ends_with(r->url, "/v1/rest/auth/metadata") && strcmp(r->method, "GET") == 0);
    snprintf(body, sizeof body,
             "{\"AzureAD\": {\"LoginEndpoint\": \"%s\", \"LoginMfaRequired\": false, "
             "\"KustoServiceResourceId\": \"https://127.0.0.1\"}}",
             cluster);
    CHECK_INT(answer(op, 200, NULL, body), 0);
    CHECK_INT(kusto_op_next(op, r), KUSTO_OP_SEND);
    CHECK(ends_with(r->url, "/tenant/v2.0/.well-known/openid-configuration"));
    snprintf(body, sizeof body,
             "{\"token_endpoint\": \"%s/oauth2/v2.0/token\", \"authorization_endpoint\": "
             "\"%s/oauth2/v2.0/authorize\"}",
             tenant_url, tenant_url);
    return answer(op, 200, NULL, body);
}

/* Metadata, discovery and token, answered; the op then asks for the query (in *r). */
static void sign_in(kusto_op *op, kusto_op_request *r) {
    CHECK_INT(answer_cloud(op, r), 0);
    CHECK_INT(kusto_op_next(op, r), KUSTO_OP_SEND);
    CHECK(ends_with(r->url, "/tenant/oauth2/v2.0/token") && strcmp(r->method, "POST") == 0);
    CHECK(r->body && strstr(r->body, "client_secret=s3cret") && strstr(r->body, "scope=https%3A%2F%2F127.0.0.1"));
    CHECK_INT(
        answer(op, 200, NULL, "{\"token_type\": \"Bearer\", \"access_token\": \"tok-123\", \"expires_in\": 3600}"), 0);
    CHECK_INT(kusto_op_next(op, r), KUSTO_OP_SEND);
    CHECK(ends_with(r->url, "/v2/rest/query"));
}

static kusto_op *op_on(kusto_client *client, const char *csl, kusto_result *res) {
    kusto_op *op = NULL;
    CHECK_INT(kusto_op_query(client, NULL, csl, NULL, res ? kusto_collector_builder() : NULL, res, &op, NULL),
              KUSTO_OK);
    return op;
}

static void test_tls_name(void) {
    CHECK_STR(kusto_op_tls_name("127.0.0.1"), "localhost");
    CHECK_STR(kusto_op_tls_name("127.8.9.10"), "localhost");
    CHECK_STR(kusto_op_tls_name("::1"), "localhost");
    CHECK_STR(kusto_op_tls_name("10.0.0.1"), "10.0.0.1");
    CHECK_STR(kusto_op_tls_name("help.kusto.windows.net"), "help.kusto.windows.net");
    CHECK_STR(kusto_op_tls_name("localhost"), "localhost");
}

/* The whole way: each request's fields, the token in the query's headers, rows as kusto_result_parse gives. */
static void test_query_end_to_end(void) {
    kusto_client *client = client_on(40001, NULL, NULL, NULL, NULL);
    kusto_result *res = kusto_collector_new(), *expected = NULL;
    kusto_op *op = op_on(client, "StormEvents | take 10", res);
    kusto_op_request r;
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_SEND);
    CHECK_STR(r.host, "127.0.0.1");
    CHECK_INT(r.port, 40001);
    CHECK_STR(r.tls_name, "localhost");
    CHECK(r.body == NULL && r.timeout_ms > 9000 && r.timeout_ms <= 10000); /* the metadata's own bound */
    kusto_op_free(op);
    op = op_on(client, "StormEvents | take 10", res);
    sign_in(op, &r);
    CHECK(has_header(&r, "Authorization: Bearer tok-123"));
    CHECK(!has_header(&r, "Host:") && !has_header(&r, "Content-Length:"));
    CHECK(r.body && strstr(r.body, "StormEvents | take 10"));
    CHECK(r.timeout_ms > 269000 && r.timeout_ms <= 270000); /* servertimeout 4 min and 30 s of grace */
    size_t len = 0;
    char *body = read_fixture("fragmented_v2.json", &len);
    CHECK_INT(kusto_op_head(op, 200, json_head), 0);
    for (size_t at = 0; body && at < len; at += 100)
        CHECK_INT(kusto_op_body(op, body + at, len - at < 100 ? len - at : 100), 0);
    CHECK_INT(kusto_op_end(op), 0);
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_DONE);
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_DONE);
    CHECK_INT(kusto_op_result(op, NULL), KUSTO_OK);
    CHECK_INT(kusto_result_parse(&expected, body, len, NULL), KUSTO_OK);
    CHECK_INT(kusto_result_table_count(res), kusto_result_table_count(expected));
    CHECK(kusto_result_table_count(res) > 0 &&
          kusto_table_row_count(kusto_result_table(res, 0)) == kusto_table_row_count(kusto_result_table(expected, 0)));
    kusto_op_free(op);
    /* Signed in: the next op asks for the query at once. */
    op = op_on(client, "print 1", NULL);
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_SEND);
    CHECK(ends_with(r.url, "/v2/rest/query"));
    kusto_op_free(op);
    free(body);
    kusto_result_free(res);
    kusto_result_free(expected);
    kusto_client_free(client);
}

/* A 503 with Retry-After: WAIT for about that long, then the same request again. */
static void test_retry_after_503(void) {
    kusto_client *client = client_on(40002, NULL, NULL, NULL, NULL);
    kusto_op *op = op_on(client, "print 1", NULL);
    kusto_op_request r;
    sign_in(op, &r);
    static const char *const retry_after[] = {"Retry-After: 0.05", NULL};
    CHECK_INT(answer(op, 503, retry_after, "{\"error\": {\"code\": \"ServiceUnavailable\", \"message\": \"busy\"}}"),
              0);
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_WAIT);
    CHECK(r.wait_ms > 0 && r.wait_ms <= 50);
    struct timespec pause = {0, 60 * 1000000L};
    nanosleep(&pause, NULL);
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_SEND);
    CHECK(ends_with(r.url, "/v2/rest/query") && has_header(&r, "Authorization: Bearer tok-123"));
    kusto_op_free(op);
    kusto_client_free(client);
}

/* Failures: a transient one is retried after a pause (WAIT); one that is not ends the op with its message. */
static void test_transport_failures(void) {
    kusto_client *client = client_on(40003, NULL, NULL, NULL, NULL);
    kusto_op *op = op_on(client, "print 1", NULL);
    kusto_op_request r;
    kusto_error *err = NULL;
    sign_in(op, &r);
    kusto_op_failed(op, 1, "connection reset");
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_WAIT);
    CHECK(r.wait_ms >= 200 && r.wait_ms <= 500);
    kusto_op_free(op); /* freed while waiting */
    op = op_on(client, "print 1", NULL);
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_SEND);
    kusto_op_failed(op, 0, "TLS: certificate verify failed");
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_DONE);
    CHECK_INT(kusto_op_result(op, &err), KUSTO_E_NETWORK);
    CHECK(err && strstr(kusto_error_message(err), "/v2/rest/query failed: TLS: certificate verify failed"));
    kusto_error_free(err);
    kusto_op_free(op);
    kusto_client_free(client);
}

/* Once body bytes reached the parser, nothing is repeated. */
static void test_no_retry_after_body(void) {
    kusto_client *client = client_on(40004, NULL, NULL, NULL, NULL);
    kusto_result *res = kusto_collector_new();
    kusto_op *op = op_on(client, "print 1", res);
    kusto_op_request r;
    kusto_error *err = NULL;
    sign_in(op, &r);
    CHECK_INT(kusto_op_head(op, 200, json_head), 0);
    CHECK_INT(kusto_op_body(op, "[{\"FrameType\":\"DataSetHeader\"", 29), 0);
    kusto_op_failed(op, 1, "connection reset");
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_DONE);
    CHECK_INT(kusto_op_result(op, &err), KUSTO_E_NETWORK);
    kusto_error_free(err);
    kusto_op_free(op);
    kusto_result_free(res);
    kusto_client_free(client);
}

/* Kusto's error answer: the blocking path's error, with its HTTP status and the request id. */
static void test_error_answer(void) {
    kusto_client *client = client_on(40005, NULL, NULL, NULL, NULL);
    kusto_op *op = op_on(client, "print 1", NULL);
    kusto_op_request r;
    kusto_error *err = NULL;
    sign_in(op, &r);
    CHECK_INT(answer(op, 401, NULL, "{\"error\": {\"code\": \"Unauthorized\", \"message\": \"no access\"}}"), -1);
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_DONE);
    CHECK_INT(kusto_op_result(op, &err), KUSTO_E_AUTH);
    CHECK_INT(kusto_error_http_status(err), 401);
    CHECK(kusto_error_request_id(err) && strncmp(kusto_error_request_id(err), "KLC.execute;", 12) == 0);
    kusto_error_free(err);
    err = NULL;
    CHECK_INT(kusto_op_result(op, &err), KUSTO_E_AUTH); /* once only: the error was handed out */
    CHECK(err == NULL);
    kusto_op_free(op);
    kusto_client_free(client);
}

static void test_max_response_bytes(void) {
    kusto_client *client = client_on(40006, "max_response_bytes", "100", NULL, NULL);
    kusto_result *res = kusto_collector_new();
    kusto_op *op = op_on(client, "print 1", res);
    kusto_op_request r;
    kusto_error *err = NULL;
    sign_in(op, &r);
    char big[150];
    memset(big, ' ', sizeof big);
    CHECK_INT(kusto_op_head(op, 200, json_head), 0);
    CHECK_INT(kusto_op_body(op, big, sizeof big), -1);
    CHECK_INT(kusto_op_body(op, big, 1), -1); /* after the op failed */
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_DONE);
    CHECK_INT(kusto_op_result(op, &err), KUSTO_E_PROTOCOL);
    CHECK(err && strstr(kusto_error_message(err), "max_response_bytes"));
    kusto_error_free(err);
    kusto_op_free(op);
    kusto_result_free(res);
    kusto_client_free(client);
}

/* The deadline is fixed when the op starts: a step asked for after it is not sent. */
static void test_deadline_passed(void) {
    kusto_client *client = client_on(40007, "timeout", "0.05", NULL, NULL);
    kusto_op *op = op_on(client, "print 1", NULL);
    kusto_op_request r;
    kusto_error *err = NULL;
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_SEND);
    CHECK(r.timeout_ms > 0 && r.timeout_ms <= 50);
    struct timespec pause = {0, 80 * 1000000L};
    nanosleep(&pause, NULL);
    kusto_op_failed(op, 1, "Operation timed out");
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_DONE);
    CHECK_INT(kusto_op_result(op, &err), KUSTO_E_TIMEOUT);
    CHECK(err && strstr(kusto_error_message(err), "timed out: Operation timed out"));
    kusto_error_free(err);
    kusto_op_free(op);
    op = op_on(client, "print 1", NULL);
    nanosleep(&pause, NULL);
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_DONE);
    err = NULL;
    CHECK_INT(kusto_op_result(op, &err), KUSTO_E_TIMEOUT);
    CHECK(err && strstr(kusto_error_message(err), "not sent: the call's timeout ran out before it"));
    kusto_error_free(err);
    kusto_op_free(op);
    kusto_client_free(client);
}

/* A person's flow is refused inside an op once the cloud is known (no cached token); outside, nothing changes. */
static void test_device_code_refused(void) {
    char connstr[300];
    snprintf(connstr, sizeof connstr,
             "Data Source=https://127.0.0.1:40008;AAD Federated Security=True;"
             "Authority Id=https://127.0.0.1:40008/tenant");
    snprintf(cluster, sizeof cluster, "https://127.0.0.1:40008");
    snprintf(tenant_url, sizeof tenant_url, "%s/tenant", cluster);
    kusto_options *opts = NULL;
    kusto_client *client = NULL;
    kusto_options_new(&opts);
    kusto_options_set(opts, "sign_in", "device_code");
    CHECK_INT(kusto_client_new(&client, connstr, opts, NULL), KUSTO_OK);
    kusto_options_free(opts);
    kusto_op *op = op_on(client, "print 1", NULL);
    kusto_op_request r;
    kusto_error *err = NULL;
    CHECK_INT(answer_cloud(op, &r), -1); /* refused as soon as the cloud is known */
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_DONE);
    CHECK_INT(kusto_op_result(op, &err), KUSTO_E_UNSUPPORTED);
    CHECK(err && strstr(kusto_error_message(err), "sign_in 'device_code' cannot sign in without blocking"));
    CHECK(!kusto_op_seam_active());
    kusto_error_free(err);
    kusto_op_free(op);
    kusto_client_free(client);
}

/* The sign-in's answers are its own: an error answer from Azure AD ends the op with Azure AD's error. */
static void test_token_refused(void) {
    kusto_client *client = client_on(40009, NULL, NULL, NULL, NULL);
    kusto_op *op = op_on(client, "print 1", NULL);
    kusto_op_request r;
    kusto_error *err = NULL;
    CHECK_INT(answer_cloud(op, &r), 0);
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_SEND);
    CHECK_INT(answer(op, 401, NULL,
                     "{\"error\": \"invalid_client\", \"error_description\": \"AADSTS7000215: Invalid "
                     "client secret provided.\", \"error_codes\": [7000215]}"),
              -1);
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_DONE);
    CHECK_INT(kusto_op_result(op, &err), KUSTO_E_AUTH);
    CHECK_STR(kusto_error_code(err), "invalid_client");
    CHECK_INT(kusto_error_aadsts(err), 7000215);
    kusto_error_free(err);
    kusto_op_free(op);
    kusto_client_free(client);
}

/* Plain http (loopback only): no TLS to set up, so no name to verify. */
static void test_plain_http_loopback(void) {
    kusto_client *client = NULL;
    CHECK_INT(kusto_client_new(&client,
                               "Data Source=http://127.0.0.1:40011;AAD Federated Security=True;"
                               "Application Client Id=app;Application Key=s3cret;Authority Id=contoso.com",
                               NULL, NULL),
              KUSTO_OK);
    kusto_op *op = op_on(client, "print 1", NULL);
    kusto_op_request r;
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_SEND);
    CHECK_STR(r.url, "http://127.0.0.1:40011/v1/rest/auth/metadata");
    CHECK_INT(r.port, 40011);
    CHECK(r.tls_name == NULL);
    kusto_op_free(op);
    kusto_client_free(client);
}

static kusto_client *default_chain_client(int port) {
    static const char *const env[] = {"AZURE_CLIENT_ID",
                                      "AZURE_TENANT_ID",
                                      "AZURE_CLIENT_SECRET",
                                      "AZURE_CLIENT_CERTIFICATE_PATH",
                                      "AZURE_FEDERATED_TOKEN_FILE",
                                      "IDENTITY_ENDPOINT",
                                      "IDENTITY_HEADER",
                                      "IMDS_ENDPOINT"};
    for (size_t i = 0; i < sizeof env / sizeof *env; i++) unsetenv(env[i]);
    char connstr[300], identity[100];
    snprintf(cluster, sizeof cluster, "https://127.0.0.1:%d", port);
    snprintf(tenant_url, sizeof tenant_url, "%s/tenant", cluster);
    snprintf(connstr, sizeof connstr, "Data Source=%s;AAD Federated Security=True;Authority Id=%s", cluster,
             tenant_url);
    snprintf(identity, sizeof identity, "http://127.0.0.1:%d/msi/token", port);
    kusto_options *opts = NULL;
    kusto_client *client = NULL;
    kusto_options_new(&opts);
    kusto_options_set(opts, "sign_in", "default");
    kusto_options_set(opts, "managed_identity_endpoint", identity);
    CHECK_INT(kusto_client_new(&client, connstr, opts, NULL), KUSTO_OK);
    kusto_options_free(opts);
    return client;
}

/* sign_in "default" inside an op: the managed identity step's request goes out (the chain stops for it and runs
   again with its answer); a token from it serves the query. */
static void test_default_chain_managed_identity(void) {
    kusto_client *client = default_chain_client(40012);
    kusto_op *op = op_on(client, "print 1", NULL);
    kusto_op_request r;
    CHECK_INT(answer_cloud(op, &r), 0);
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_SEND);
    CHECK(strncmp(r.url, "http://127.0.0.1:40012/msi/token?api-version=", 45) == 0 && r.tls_name == NULL);
    CHECK(has_header(&r, "Metadata: true"));
    CHECK_INT(answer(op, 200, NULL,
                     "{\"access_token\": \"mi-tok\", \"expires_in\": \"3600\", \"token_type\": "
                     "\"Bearer\", \"resource\": \"https://127.0.0.1\"}"),
              0);
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_SEND);
    CHECK(ends_with(r.url, "/v2/rest/query") && has_header(&r, "Authorization: Bearer mi-tok"));
    kusto_op_free(op);
    kusto_client_free(client);
}

/* The steps that would need a person or a process are refused; with every other step failed, the chain says
   KUSTO_E_UNSUPPORTED and why each step did not serve. */
static void test_default_chain_refused(void) {
    kusto_client *client = default_chain_client(40013);
    kusto_op *op = op_on(client, "print 1", NULL);
    kusto_op_request r;
    kusto_error *err = NULL;
    CHECK_INT(answer_cloud(op, &r), 0);
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_SEND);
    CHECK_INT(answer(op, 400, NULL, "{\"error\": \"invalid_request\", \"error_description\": \"Identity not found\"}"),
              -1);
    CHECK_INT(kusto_op_next(op, &r), KUSTO_OP_DONE);
    CHECK_INT(kusto_op_result(op, &err), KUSTO_E_UNSUPPORTED);
    const char *message = kusto_error_message(err);
    CHECK(strstr(message, "found no credential that works without blocking") && strstr(message, "Identity not found"));
    CHECK(strstr(message, "azure_cli: sign_in 'azure_cli' cannot sign in without blocking"));
    kusto_error_free(err);
    kusto_op_free(op);
    kusto_client_free(client);
}

static void test_misuse(void) {
    kusto_client *client = client_on(40010, NULL, NULL, NULL, NULL);
    kusto_op *op = NULL;
    kusto_error *err = NULL;
    CHECK_INT(kusto_op_query(client, NULL, NULL, NULL, NULL, NULL, &op, &err), KUSTO_E_ARGUMENT);
    CHECK(op == NULL);
    kusto_error_free(err);
    err = NULL;
    op = op_on(client, "print 1", NULL);
    CHECK_INT(kusto_op_result(op, &err), KUSTO_E_ARGUMENT); /* not done */
    kusto_error_free(err);
    const char *data = "x";
    size_t len = 1;
    kusto_op_request_bytes(op, &data, &len); /* nothing to send yet */
    CHECK(data == NULL && len == 0);
    kusto_op_free(op);
    kusto_op_free(NULL);
    kusto_client_free(client);
}

int main(void) {
    test_tls_name();
    test_query_end_to_end();
    test_retry_after_503();
    test_transport_failures();
    test_no_retry_after_body();
    test_error_answer();
    test_max_response_bytes();
    test_deadline_passed();
    test_device_code_refused();
    test_token_refused();
    test_plain_http_loopback();
    test_default_chain_managed_identity();
    test_default_chain_refused();
    test_misuse();
    CHECK_DONE();
}

/* kusto_op end to end against the emulator, driven as an event loop would drive it, by two drivers of the
   test's own: a libcurl easy handle per request (header callback -> kusto_op_head, write callback ->
   kusto_op_body), and a plain TCP socket with OpenSSL (kusto_op_request_bytes out, kusto_op_receive in: the
   op speaks HTTP/1.1 itself). A WAIT is a sleep here. The rows must be the blocking API's. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "clock.h"
#include "e2e.h"
#include "kusto.h"
#include "parser.h"

#define MAX_HEADERS 64
#define MAX_STEPS 32

/* What the driver saw: one letter per step (S send, W wait), and the URLs sent. */
typedef struct trace {
    char steps[MAX_STEPS + 1];
    char *urls[MAX_STEPS];
    int count;
} trace;

static void trace_clear(trace *t) {
    for (int i = 0; i < t->count; i++) free(t->urls[i]);
    memset(t, 0, sizeof *t);
}

static void trace_add(trace *t, char step, const char *url) {
    if (t->count >= MAX_STEPS) return;
    t->steps[t->count] = step;
    t->urls[t->count++] = url ? strdup(url) : NULL;
}

typedef struct transfer {
    kusto_op **op; /* NULL'd when the test frees the op mid-body */
    long status;
    char *headers[MAX_HEADERS + 1];
    int header_count;
    size_t body_bytes;
    size_t free_after; /* > 0: free the op once this many body bytes were given */
} transfer;

static void headers_clear(transfer *t) {
    for (int i = 0; i < t->header_count; i++) free(t->headers[i]);
    t->header_count = 0;
    t->headers[0] = NULL;
}

static size_t on_header(char *line, size_t size, size_t n, void *ud) {
    transfer *t = ud;
    size_t len = size * n, end = len;
    while (end && (line[end - 1] == '\r' || line[end - 1] == '\n')) end--;
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        headers_clear(t);
        const char *space = memchr(line, ' ', len);
        t->status = space ? strtol(space + 1, NULL, 10) : 0;
    } else if (end == 0 && t->status >= 200) {
        t->headers[t->header_count] = NULL;
        if (kusto_op_head(*t->op, t->status, (const char *const *)t->headers) != 0) return 0;
    } else if (end && t->header_count < MAX_HEADERS) {
        t->headers[t->header_count++] = strndup(line, end);
        t->headers[t->header_count] = NULL;
    }
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud) {
    transfer *t = ud;
    if (!*t->op) return 0;
    if (kusto_op_body(*t->op, data, size * n) != 0) return 0;
    t->body_bytes += size * n;
    if (t->free_after && t->body_bytes >= t->free_after) {
        kusto_op_free(*t->op); /* cancelled mid-body: the connection is dropped below */
        *t->op = NULL;
        return 0;
    }
    return size * n;
}

/* Performs the request the op asked for, and tells the op how it went. */
static void perform(kusto_op **op, const kusto_op_request *r, size_t free_after) {
    CURL *curl = curl_easy_init();
    struct curl_slist *list = curl_slist_append(NULL, "Expect:");
    for (size_t i = 0; r->headers[i]; i++) list = curl_slist_append(list, r->headers[i]);
    transfer t = {op, 0, {NULL}, 0, 0, free_after};
    curl_easy_setopt(curl, CURLOPT_URL, r->url);
    curl_easy_setopt(curl, CURLOPT_CAINFO, cfg("ca_file"));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    if (r->timeout_ms >= 0) curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, r->timeout_ms > 0 ? r->timeout_ms : 1L);
    if (strcmp(r->method, "POST") == 0) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, r->body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)r->body_len);
    }
    CURLcode rc = curl_easy_perform(curl);
    if (*op && rc == CURLE_OK) kusto_op_end(*op);
    else if (*op) kusto_op_failed(*op, rc == CURLE_COULDNT_CONNECT || rc == CURLE_RECV_ERROR, curl_easy_strerror(rc));
    headers_clear(&t);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
}

static int answers_whole, answers_kept_alive; /* of the socket driver */

static int connect_to(const char *host, int port) {
    struct addrinfo hints = {0}, *found = NULL;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, service, &hints, &found) != 0) return -1;
    int fd = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
    if (fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) != 0) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(found);
    return fd;
}

/* Connect, TLS verifying r->tls_name against the emulator's CA, the op's bytes out, the answer's bytes in. */
static void perform_on_socket(kusto_op *op, const kusto_op_request *r) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_load_verify_locations(ctx, cfg("ca_file"), NULL);
    SSL *ssl = SSL_new(ctx);
    SSL_set1_host(ssl, r->tls_name);
    SSL_set_tlsext_host_name(ssl, r->tls_name);
    int fd = connect_to(r->host, r->port);
    const char *data = NULL;
    size_t len = 0;
    if (fd >= 0 && r->timeout_ms >= 0) {
        struct timeval limit = {r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000 + 1};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    }
    errno = 0;
    if (fd < 0 || !SSL_set_fd(ssl, fd) || SSL_connect(ssl) != 1) {
        kusto_op_failed(op, fd < 0, fd < 0 ? "connect failed" : "TLS handshake failed");
    } else {
        kusto_op_request_bytes(op, &data, &len);
        int sent = data && SSL_write(ssl, data, (int)len) == (int)len;
        char buf[16384];
        int state = sent ? 0 : -1;
        if (!sent) kusto_op_failed(op, 1, "send failed");
        while (state == 0) {
            errno = 0;
            int n = SSL_read(ssl, buf, sizeof buf);
            if (n <= 0 && SSL_get_error(ssl, n) != SSL_ERROR_ZERO_RETURN && errno) { /* SO_RCVTIMEO: r->timeout_ms */
                kusto_op_failed(op, 1, errno == EAGAIN ? "read timed out" : strerror(errno));
                break;
            }
            state = kusto_op_receive(op, buf, n > 0 ? (size_t)n : 0); /* n <= 0: the peer closed */
        }
        if (state == 1) answers_whole++, answers_kept_alive += kusto_op_keep_alive(op);
    }
    ERR_clear_error();
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    if (fd >= 0) close(fd);
}

static int use_socket; /* which driver performs the requests */

/* The event loop: until DONE (or the op freed mid-body), recording each step; the op's result. */
static kusto_status drive(kusto_op **op, trace *t, size_t free_after, kusto_error **err) {
    kusto_op_request r;
    for (int steps = 0; *op && steps < 100; steps++) {
        switch (kusto_op_next(*op, &r)) {
        case KUSTO_OP_SEND:
            trace_add(t, 'S', r.url);
            if (use_socket) perform_on_socket(*op, &r);
            else perform(op, &r, free_after);
            break;
        case KUSTO_OP_WAIT: {
            trace_add(t, 'W', NULL);
            struct timespec pause = {r.wait_ms / 1000, (r.wait_ms % 1000) * 1000000L};
            nanosleep(&pause, NULL);
            break;
        }
        case KUSTO_OP_DONE: return kusto_op_result(*op, err);
        }
    }
    return KUSTO_E_CANCELLED;
}

static kusto_client *client_with2(const char *connstr, const char *name, const char *value, const char *name2,
                                  const char *value2) {
    kusto_options *opts = NULL;
    kusto_client *client = NULL;
    kusto_error *err = NULL;
    kusto_options_new(&opts);
    kusto_options_set(opts, "ca_file", cfg("ca_file"));
    if (name) kusto_options_set(opts, name, value);
    if (name2) kusto_options_set(opts, name2, value2);
    if (kusto_client_new(&client, connstr, opts, &err) != KUSTO_OK)
        fprintf(stderr, "client: %s\n", kusto_error_message(err));
    kusto_options_free(opts);
    kusto_error_free(err);
    return client;
}

static kusto_client *client_with(const char *connstr, const char *name, const char *value) {
    return client_with2(connstr, name, value, NULL, NULL);
}

static kusto_status op_collect(kusto_client *client, const char *csl, kusto_result **res, trace *t, kusto_error **err) {
    kusto_op *op = NULL;
    *res = kusto_collector_new();
    kusto_status status = kusto_op_query(client, NULL, csl, NULL, kusto_collector_builder(), *res, &op, err);
    if (status == KUSTO_OK) status = drive(&op, t, 0, err);
    kusto_op_free(op);
    return status;
}

static const kusto_table *primary(const kusto_result *res) {
    for (size_t i = 0; res && i < kusto_result_table_count(res); i++)
        if (strcmp(kusto_table_info_of(kusto_result_table(res, i))->kind, "PrimaryResult") == 0)
            return kusto_result_table(res, i);
    return NULL;
}

static int same_rows(const kusto_table *a, const kusto_table *b) {
    size_t columns = a && b ? kusto_table_info_of(a)->column_count : 0;
    if (!a || !b || kusto_table_row_count(a) != kusto_table_row_count(b) ||
        columns != kusto_table_info_of(b)->column_count)
        return 0;
    for (size_t row = 0; row < kusto_table_row_count(a); row++)
        for (size_t col = 0; col < columns; col++) {
            const kusto_value *x = kusto_table_value(a, row, col), *y = kusto_table_value(b, row, col);
            if (x->kind != y->kind || x->u.i != y->u.i) return 0;
        }
    return 1;
}

static char *path_of(const char *fmt) {
    static char paths[4][200];
    static int next;
    char *path = paths[next++ % 4];
    snprintf(path, sizeof paths[0], fmt, cfg("tenant"));
    return path;
}

/* A fresh process and client: cloud metadata, the authority's OpenID configuration, the token, the query;
   one request each, in that order, and the rows the blocking API gives. */
static void test_query_from_nothing(void) {
    const char *metadata = "/v1/rest/auth/metadata", *discovery = path_of("/%s/v2.0/.well-known/openid-configuration");
    const char *token = path_of("/%s/oauth2/v2.0/token"), *query = "/v2/rest/query";
    int before[4] = {requests_to(metadata), requests_to(discovery), requests_to(token), requests_to(query)};
    kusto_client *client = client_with(cfg("connection_string"), NULL, NULL);
    const char *csl = "range x from 1 to 2000 step 1 | extend y = x * 2";
    kusto_result *res = NULL, *blocking = NULL;
    kusto_error *err = NULL;
    trace t = {0};
    CHECK_INT(op_collect(client, csl, &res, &t, &err), KUSTO_OK);
    if (err) fprintf(stderr, "op: %s\n", kusto_error_message(err));
    CHECK_STR(t.steps, "SSSS");
    CHECK(t.count == 4 && strstr(t.urls[0], metadata) && strstr(t.urls[1], discovery) && strstr(t.urls[2], token) &&
          strstr(t.urls[3], query));
    CHECK_INT(requests_to(metadata) - before[0], 1);
    CHECK_INT(requests_to(discovery) - before[1], 1);
    CHECK_INT(requests_to(token) - before[2], 1);
    CHECK_INT(requests_to(query) - before[3], 1);
    CHECK_INT(kusto_client_query_collect(client, NULL, csl, NULL, &blocking, NULL), KUSTO_OK);
    CHECK(primary(res) && kusto_table_row_count(primary(res)) == 2000);
    CHECK(same_rows(primary(res), primary(blocking)));
    CHECK_INT(requests_to(token) - before[2], 1); /* the blocking call found the op's token in the cache */
    trace_clear(&t);
    kusto_result_free(res);
    kusto_result_free(blocking);
    kusto_error_free(err);
    kusto_client_free(client);
}

/* The same rows as the blocking API, through the socket driver; a token request sent on it too. */
static void test_socket_driver(void) {
    const char *token = path_of("/%s/oauth2/v2.0/token");
    int tokens = requests_to(token);
    kusto_client *client = client_with(cfg("connection_string"), NULL, NULL);
    const char *csl = "range x from 1 to 5000 step 1 | extend y = x * 3";
    kusto_result *res = NULL, *blocking = NULL;
    kusto_error *err = NULL;
    trace t = {0};
    CHECK_INT(op_collect(client, csl, &res, &t, &err), KUSTO_OK);
    if (err) fprintf(stderr, "op over a socket: %s\n", kusto_error_message(err));
    CHECK_STR(t.steps, "SS"); /* the token, the query: the process knows the cloud already */
    CHECK_INT(answers_whole, 2);
    CHECK_INT(answers_kept_alive, 2); /* HTTP/1.1 answers with a length: the connection could be kept */
    CHECK_INT(requests_to(token) - tokens, 1);
    CHECK_INT(kusto_client_query_collect(client, NULL, csl, NULL, &blocking, NULL), KUSTO_OK);
    CHECK(primary(res) && kusto_table_row_count(primary(res)) == 5000);
    CHECK(same_rows(primary(res), primary(blocking)));
    trace_clear(&t);
    kusto_result_free(res);
    kusto_result_free(blocking);
    kusto_error_free(err);
    kusto_client_free(client);
}

static void arm(const char *json) { CHECK_INT(control("POST", "/faults", json), 200); }

/* A 503 with Retry-After: the op says WAIT, then sends the query again; the rows come. */
static void test_retry_waits(void) {
    kusto_client *client = client_with(cfg("connection_string"), NULL, NULL);
    kusto_result *res = NULL;
    trace t = {0};
    CHECK_INT(op_collect(client, "print 1", &res, &t, NULL), KUSTO_OK); /* signed in */
    trace_clear(&t);
    kusto_result_free(res);
    int queries = requests_to("/v2/rest/query");
    arm("{\"path\": \"/v2/rest/query\", \"status\": 503, \"headers\": {\"Retry-After\": \"0.2\"}}");
    int64_t started = kusto_now_ms();
    CHECK_INT(op_collect(client, "print x = 7", &res, &t, NULL), KUSTO_OK);
    CHECK(kusto_now_ms() - started >= 200);
    CHECK_STR(t.steps, "SWS");
    CHECK_INT(requests_to("/v2/rest/query") - queries, 2);
    const kusto_value *v = primary(res) ? kusto_table_value(primary(res), 0, 0) : NULL;
    CHECK(v && v->u.i == 7);
    trace_clear(&t);
    kusto_result_free(res);
    kusto_client_free(client);
}

/* A control command that changes things is never sent twice: its 503 is the result. */
static void test_no_retry_of_a_change(void) {
    kusto_client *client = client_with(cfg("connection_string"), NULL, NULL);
    kusto_op *op = NULL;
    kusto_error *err = NULL;
    trace t = {0};
    arm("{\"path\": \"/v1/rest/mgmt\", \"status\": 503, \"headers\": {\"Retry-After\": \"0\"}}");
    CHECK_INT(kusto_op_mgmt(client, NULL, ".drop table T", NULL, NULL, NULL, &op, &err), KUSTO_OK);
    kusto_status status = drive(&op, &t, 0, &err);
    CHECK(status != KUSTO_OK && strchr(t.steps, 'W') == NULL);
    CHECK_INT(kusto_error_http_status(err), 503);
    kusto_op_free(op);
    kusto_error_free(err);
    trace_clear(&t);
    kusto_client_free(client);
    control("DELETE", "/faults", NULL);
}

/* Flows that wait for a person or a process are refused when they would run, with what to do instead. */
static void test_blocking_flows_refused(void) {
    static const char *const methods[] = {"device_code", "azure_cli", "interactive"};
    char connstr[600];
    snprintf(connstr, sizeof connstr, "Data Source=%s;AAD Federated Security=True;Authority Id=%s", cfg("cluster"),
             cfg("authority"));
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
        kusto_client *client = client_with(connstr, "sign_in", methods[i]);
        kusto_op *op = NULL;
        kusto_error *err = NULL;
        trace t = {0};
        CHECK_INT(kusto_op_query(client, NULL, "print 1", NULL, NULL, NULL, &op, &err), KUSTO_OK);
        CHECK_INT(drive(&op, &t, 0, &err), KUSTO_E_UNSUPPORTED);
        CHECK(err && strstr(kusto_error_message(err), "cannot sign in without blocking"));
        CHECK(err && strstr(kusto_error_message(err), methods[i]));
        CHECK(strchr(t.steps, 'S') == NULL || strstr(t.urls[t.count - 1], "/oauth2/") == NULL); /* no token request */
        kusto_op_free(op);
        kusto_error_free(err);
        trace_clear(&t);
        kusto_client_free(client);
    }
}

/* A person's flow is refused only when it would run: signed in before (user and password, blocking) into a
   token cache file, a device-code client finds the token there and its op needs nobody. */
static void test_cached_token_serves_a_refused_flow(void) {
    char dir[] = "/tmp/kusto-op-cache-XXXXXX", path[64], lock[80], connstr[800];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/cache.json", dir);
    snprintf(lock, sizeof lock, "%s.lockfile", path);
    snprintf(connstr, sizeof connstr,
             "Data Source=%s;Initial Catalog=%s;AAD Federated Security=True;User ID=%s;"
             "Password=%s;Authority Id=%s",
             cfg("cluster"), cfg("database"), cfg("user"), cfg("password"), cfg("authority"));
    kusto_client *before = client_with2(connstr, "cache_path", path, NULL, NULL);
    kusto_client *client = client_with2(connstr, "cache_path", path, "sign_in", "device_code");
    kusto_result *res = NULL;
    kusto_error *err = NULL;
    trace t = {0};
    CHECK_INT(kusto_client_query_collect(before, NULL, "print 1", NULL, &res, NULL), KUSTO_OK);
    kusto_result_free(res);
    int tokens = requests_to(path_of("/%s/oauth2/v2.0/token"));
    CHECK_INT(op_collect(client, "print x = 5", &res, &t, &err), KUSTO_OK);
    if (err) fprintf(stderr, "device code from the cache: %s\n", kusto_error_message(err));
    CHECK_STR(t.steps, "S"); /* the query only */
    CHECK_INT(requests_to(path_of("/%s/oauth2/v2.0/token")) - tokens, 0);
    const kusto_value *v = primary(res) ? kusto_table_value(primary(res), 0, 0) : NULL;
    CHECK(v && v->u.i == 5);
    kusto_result_free(res);
    kusto_error_free(err);
    trace_clear(&t);
    kusto_client_free(client);
    kusto_client_free(before);
    unlink(path);
    unlink(lock);
    rmdir(dir);
}

/* Freed while the body streams in: nothing leaks (ASan, valgrind), the client goes on working. */
static void test_free_mid_body(void) {
    kusto_client *client = client_with(cfg("connection_string"), NULL, NULL);
    kusto_result *res = kusto_collector_new();
    kusto_op *op = NULL;
    trace t = {0};
    CHECK_INT(kusto_op_query(client, NULL, "range x from 1 to 300000 step 1", NULL, kusto_collector_builder(), res, &op,
                             NULL),
              KUSTO_OK);
    drive(&op, &t, 4096, NULL);
    CHECK(op == NULL);
    kusto_result_free(res);
    trace_clear(&t);
    CHECK_INT(op_collect(client, "print 2", &res, &t, NULL), KUSTO_OK);
    trace_clear(&t);
    kusto_result_free(res);
    kusto_client_free(client);
}

/* The client's timeout is the op's deadline: a query the server holds past it ends in KUSTO_E_TIMEOUT. */
static void test_deadline(void) {
    kusto_client *client = client_with(cfg("connection_string"), "timeout", "1");
    kusto_result *res = NULL;
    kusto_error *err = NULL;
    trace t = {0};
    CHECK_INT(op_collect(client, "print 1", &res, &t, NULL), KUSTO_OK);
    kusto_result_free(res);
    trace_clear(&t);
    arm("{\"path\": \"/v2/rest/query\", \"delay\": 2}");
    int64_t started = kusto_now_ms();
    CHECK_INT(op_collect(client, "print 1", &res, &t, &err), KUSTO_E_TIMEOUT);
    int64_t elapsed = kusto_now_ms() - started;
    CHECK(elapsed >= 900 && elapsed < 1800);
    CHECK(err && strstr(kusto_error_message(err), "timed out"));
    kusto_result_free(res);
    kusto_error_free(err);
    trace_clear(&t);
    kusto_client_free(client);
    control("DELETE", "/faults", NULL);
}
/* An answer cut off after its head, before any body byte: a transient failure, sent again (as libcurl's path). */
static void test_cut_off_before_the_body(void) {
    kusto_client *client = client_with(cfg("connection_string"), NULL, NULL);
    kusto_result *res = NULL;
    trace t = {0};
    CHECK_INT(op_collect(client, "print 1", &res, &t, NULL), KUSTO_OK); /* signed in */
    trace_clear(&t);
    kusto_result_free(res);
    int queries = requests_to("/v2/rest/query");
    arm("{\"path\": \"/v2/rest/query\", \"truncate_after\": 0, \"count\": 1}");
    CHECK_INT(op_collect(client, "print x = 8", &res, &t, NULL), KUSTO_OK);
    CHECK_STR(t.steps, "SWS");
    CHECK_INT(requests_to("/v2/rest/query") - queries, 2);
    const kusto_value *v = primary(res) ? kusto_table_value(primary(res), 0, 0) : NULL;
    CHECK(v && v->u.i == 8);
    trace_clear(&t);
    kusto_result_free(res);
    kusto_client_free(client);
    control("DELETE", "/faults", NULL);
}


static void pause_ms(long ms) {
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

/* Two ops of one fresh client: the second waits while the first signs in, then takes its token from the
   cache (one token request between them, where each used to ask); an op freed while it signs in lets the
   waiting one sign in itself. */
static void test_ops_of_one_client_share_a_sign_in(void) {
    const char *token = path_of("/%s/oauth2/v2.0/token");
    int before = requests_to(token);
    kusto_client *client = client_with(cfg("connection_string"), NULL, NULL);
    kusto_result *ra = kusto_collector_new(), *rb = kusto_collector_new();
    kusto_op *a = NULL, *b = NULL;
    kusto_op_request r, waiting;
    kusto_error *err = NULL;
    trace t = {0};
    CHECK_INT(kusto_op_query(client, NULL, "print 1", NULL, kusto_collector_builder(), ra, &a, NULL), KUSTO_OK);
    CHECK_INT(kusto_op_query(client, NULL, "print 2", NULL, kusto_collector_builder(), rb, &b, NULL), KUSTO_OK);
    CHECK_INT(kusto_op_next(a, &r), KUSTO_OP_SEND);
    CHECK(strstr(r.url, token) != NULL);
    CHECK_INT(kusto_op_next(b, &waiting), KUSTO_OP_WAIT);
    CHECK(waiting.wait_ms > 0 && waiting.wait_ms <= 20);
    CHECK_INT(kusto_op_next(b, &waiting), KUSTO_OP_WAIT); /* still: a's token has not come */
    perform(&a, &r, 0);
    CHECK_INT(drive(&a, &t, 0, &err), KUSTO_OK);
    trace_clear(&t);
    pause_ms(waiting.wait_ms);
    CHECK_INT(drive(&b, &t, 0, &err), KUSTO_OK);
    CHECK_STR(t.steps, "S"); /* the query only */
    CHECK(t.count == 1 && strstr(t.urls[0], "/v2/rest/query"));
    CHECK_INT(requests_to(token) - before, 1);
    trace_clear(&t);
    kusto_op_free(a);
    kusto_op_free(b);
    kusto_result_free(ra);
    kusto_result_free(rb);
    kusto_client_free(client);

    client = client_with(cfg("connection_string"), NULL, NULL);
    ra = kusto_collector_new();
    CHECK_INT(kusto_op_query(client, NULL, "print 1", NULL, kusto_collector_builder(), NULL, &a, NULL), KUSTO_OK);
    CHECK_INT(kusto_op_query(client, NULL, "print 2", NULL, kusto_collector_builder(), ra, &b, NULL), KUSTO_OK);
    CHECK_INT(kusto_op_next(a, &r), KUSTO_OP_SEND);
    CHECK_INT(kusto_op_next(b, &waiting), KUSTO_OP_WAIT);
    kusto_op_free(a); /* its caller gave up on it before its token came */
    pause_ms(waiting.wait_ms);
    CHECK_INT(kusto_op_next(b, &r), KUSTO_OP_SEND);
    CHECK(strstr(r.url, token) != NULL);
    perform(&b, &r, 0);
    CHECK_INT(drive(&b, &t, 0, &err), KUSTO_OK);
    CHECK(primary(ra) && kusto_table_row_count(primary(ra)) == 1);
    CHECK_INT(requests_to(token) - before, 2);
    trace_clear(&t);
    kusto_op_free(b);
    kusto_result_free(ra);
    kusto_client_free(client);
    kusto_error_free(err);
}

/* A token callback that gets its token with a blocking call of its own (a client secret, through this library). */
static int token_by_blocking_call(void *ud, const char *resource, char **token_out, int64_t *expires_on_out,
                                  char **message_out) {
    (void)resource;
    (void)expires_on_out;
    int *calls = ud;
    kusto_options *opts = NULL;
    kusto_token *token = NULL;
    kusto_options_new(&opts);
    kusto_options_set(opts, "ca_file", cfg("ca_file"));
    kusto_status status = kusto_acquire_token(&token, cfg("connection_string"), opts, NULL);
    kusto_options_free(opts);
    (*calls)++;
    if (status != KUSTO_OK) {
        *message_out = strdup(kusto_status_name(status));
        return 1;
    }
    *token_out = strdup(kusto_token_access_token(token));
    kusto_token_free(token);
    return 0;
}

/* The callback runs inside the op's sign-in, but its own blocking requests go out through libcurl, not to the
   op: the op sends the query alone. */
static void test_token_callback_keeps_its_own_requests(void) {
    int calls = 0;
    kusto_options *opts = NULL;
    kusto_client *client = NULL;
    kusto_options_new(&opts);
    kusto_options_set(opts, "ca_file", cfg("ca_file"));
    kusto_options_set_token_callback(opts, token_by_blocking_call, &calls);
    char connstr[512];
    snprintf(connstr, sizeof connstr, "Data Source=%s;Initial Catalog=%s", cfg("cluster"), cfg("database"));
    CHECK_INT(kusto_client_new(&client, connstr, opts, NULL), KUSTO_OK);
    kusto_options_free(opts);
    kusto_result *res = NULL;
    kusto_error *err = NULL;
    trace t = {0};
    CHECK_INT(op_collect(client, "print 7", &res, &t, &err), KUSTO_OK);
    if (err) fprintf(stderr, "op: %s\n", kusto_error_message(err));
    CHECK_INT(calls, 1);
    CHECK_STR(t.steps, "S");
    CHECK(t.count == 1 && strstr(t.urls[0], "/v2/rest/query"));
    CHECK(primary(res) && kusto_table_row_count(primary(res)) == 1);
    trace_clear(&t);
    kusto_result_free(res);
    kusto_error_free(err);
    kusto_client_free(client);
}

int main(void) {
    if (load_config()) return 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    control("DELETE", "/faults", NULL);
    test_query_from_nothing(); /* first: the process has no cloud metadata yet */
    test_retry_waits();
    test_no_retry_of_a_change();
    test_blocking_flows_refused();
    test_cached_token_serves_a_refused_flow();
    test_free_mid_body();
    test_deadline();
    test_ops_of_one_client_share_a_sign_in();
    test_token_callback_keeps_its_own_requests();
    /* Again over a plain socket, the op speaking HTTP/1.1: a new client, its token asked for afresh. */
    use_socket = 1;
    test_socket_driver();
    test_retry_waits();
    test_cut_off_before_the_body();
    test_blocking_flows_refused();
    test_deadline();
    curl_global_cleanup();
    cJSON_Delete(config);
    CHECK_DONE();
}

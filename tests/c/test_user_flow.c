/* What the flows that need a person share (core/src/flows/user_flow.c, loopback.c): scopes, PKCE, the id token
   check, the query parser and the loopback listener. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "error.h"
#include "flows/flows.h"
#include "flows/loopback.h"

static void test_scope_is_decorated_and_sorted_like_msal(void) {
    char *scope = kusto_user_scope("https://c.kusto.windows.net");
    CHECK_STR(scope, "https://c.kusto.windows.net/.default offline_access openid profile");
    free(scope);
    scope = kusto_user_scope("api://kusto");
    CHECK_STR(scope, "api://kusto/.default offline_access openid profile");
    free(scope);
    scope = kusto_user_scope("zz://x");
    CHECK_STR(scope, "offline_access openid profile zz://x/.default");
    free(scope);
}

static void test_pkce_challenge_matches_rfc7636_appendix_b(void) {
    char *challenge = kusto_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    CHECK_STR(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    free(challenge);
}

static void test_random_strings_are_urlsafe_and_differ(void) {
    char a[48], b[48];
    CHECK_INT(kusto_random_b64url(a, 32), 0);
    CHECK_INT(kusto_random_b64url(b, 32), 0);
    CHECK_INT(strlen(a), 43); /* a PKCE verifier needs 43 to 128 characters */
    CHECK(strcmp(a, b) != 0);
    CHECK(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 43);
}

static char *jwt_with(const char *payload_json) {
    char *payload = kusto_b64url_encode((const unsigned char *)payload_json, strlen(payload_json));
    kusto_buf b = {0};
    kusto_buf_printf(&b, "eyJhbGciOiJSUzI1NiJ9.%s.c2ln", payload);
    free(payload);
    return kusto_buf_take(&b);
}

static void test_id_token_audience_and_nonce(void) {
    char *good = jwt_with("{\"aud\":\"app\",\"nonce\":\"n1\",\"name\":\"Zoë\"}");
    kusto_error *err = NULL;
    CHECK_INT(kusto_id_token_check(good, "app", "n1", &err), KUSTO_OK);
    CHECK_INT(kusto_id_token_check(good, "app", NULL, &err), KUSTO_OK);
    CHECK_INT(kusto_id_token_check(good, "app", "other", &err), KUSTO_E_AUTH);
    CHECK(err && strstr(kusto_error_message(err), "nonce does not match"));
    kusto_error_free(err);
    err = NULL;
    CHECK_INT(kusto_id_token_check(good, "another-app", "n1", &err), KUSTO_E_AUTH);
    CHECK(err && strstr(kusto_error_message(err), "another application"));
    kusto_error_free(err);
    err = NULL;
    CHECK_INT(kusto_id_token_check("not-a-jwt", "app", NULL, &err), KUSTO_E_PROTOCOL);
    kusto_error_free(err);
    CHECK_INT(kusto_id_token_check(NULL, "app", NULL, NULL), KUSTO_E_PROTOCOL);
    free(good);
}

static void test_query_params_are_decoded(void) {
    const char *q = "code=a%2Fb+c&state=s1&error_description=AADSTS65004%3A%20User%20declined&x=%zz";
    char *v = kusto_query_param(q, "code");
    CHECK_STR(v, "a/b c");
    free(v);
    v = kusto_query_param(q, "error_description");
    CHECK_STR(v, "AADSTS65004: User declined");
    free(v);
    v = kusto_query_param(q, "x");
    CHECK_STR(v, "%zz"); /* a bad escape is kept as it came */
    free(v);
    CHECK(kusto_query_param(q, "stat") == NULL);
    CHECK(kusto_query_param(q, "missing") == NULL);
}

/* ---- the loopback listener, with a thread playing the browser ---- */

typedef struct browser {
    int port;
    const char *targets[3];
    char answers[3][512];
} browser;

static void *browse(void *arg) {
    browser *b = arg;
    for (int i = 0; i < 3 && b->targets[i]; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)b->port)};
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) {
            char req[512];
            snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", b->targets[i]);
            send(fd, req, strlen(req), 0);
            ssize_t n = recv(fd, b->answers[i], sizeof b->answers[i] - 1, MSG_WAITALL);
            if (n > 0) b->answers[i][n] = '\0';
        }
        close(fd);
    }
    return NULL;
}

static int64_t in_ms(long ms) { return kusto_now_ms() + ms; }

static void test_loopback_answers_the_right_state_only(void) {
    kusto_loopback *l = NULL;
    CHECK_INT(kusto_loopback_open(&l, NULL), KUSTO_OK);
    if (!l) return;
    browser b = {kusto_loopback_port(l), {"/favicon.ico", "/?code=c1&state=wrong", "/?code=c2&state=right"}, {{0}}};
    CHECK(b.port > 0);
    pthread_t thread;
    pthread_create(&thread, NULL, browse, &b);
    char *query = NULL;
    CHECK_INT(kusto_loopback_wait(l, "right", in_ms(5000), NULL, NULL, &query, NULL), KUSTO_OK);
    pthread_join(thread, NULL);
    CHECK_STR(query, "code=c2&state=right");
    CHECK(strncmp(b.answers[0], "HTTP/1.1 404", 12) == 0);
    CHECK(strncmp(b.answers[1], "HTTP/1.1 400", 12) == 0 && strstr(b.answers[1], "state mismatch"));
    CHECK(strncmp(b.answers[2], "HTTP/1.1 200", 12) == 0 && strstr(b.answers[2], "Authentication complete"));
    free(query);
    kusto_loopback_free(l);
}

static void test_loopback_times_out(void) {
    kusto_loopback *l = NULL;
    CHECK_INT(kusto_loopback_open(&l, NULL), KUSTO_OK);
    char *query = NULL;
    kusto_error *err = NULL;
    time_t started = time(NULL);
    CHECK_INT(kusto_loopback_wait(l, "s", in_ms(300), NULL, NULL, &query, &err), KUSTO_E_TIMEOUT);
    CHECK(time(NULL) - started <= 2);
    CHECK(query == NULL);
    kusto_error_free(err);
    kusto_loopback_free(l);
}

static int cancel_on_second_ask(void *ud) { return ++*(int *)ud >= 2; }

static void test_loopback_wait_is_cancelled(void) {
    kusto_loopback *l = NULL;
    CHECK_INT(kusto_loopback_open(&l, NULL), KUSTO_OK);
    char *query = NULL;
    kusto_error *err = NULL;
    int asked = 0;
    int64_t started = kusto_now_ms();
    CHECK_INT(kusto_loopback_wait(l, "s", in_ms(10000), cancel_on_second_ask, &asked, &query, &err), KUSTO_E_CANCELLED);
    CHECK(kusto_now_ms() - started < 1000); /* asked every quarter second */
    CHECK_INT(asked, 2);
    CHECK(query == NULL && err && strcmp(kusto_error_message(err), "the sign-in was cancelled") == 0);
    kusto_error_free(err);
    kusto_loopback_free(l);
}

int main(void) {
    test_scope_is_decorated_and_sorted_like_msal();
    test_pkce_challenge_matches_rfc7636_appendix_b();
    test_random_strings_are_urlsafe_and_differ();
    test_id_token_audience_and_nonce();
    test_query_params_are_decoded();
    test_loopback_answers_the_right_state_only();
    test_loopback_times_out();
    test_loopback_wait_is_cancelled();
    CHECK_DONE();
}

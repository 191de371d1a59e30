/* The retry policy's waits: Retry-After honoured and bounded, exponential backoff with jitter. */
#include "check.h"
#include "clock.h"
#include "retry.h"

static void test_retry_after_seconds_is_used_as_sent(void) {
    CHECK_INT(kusto_retry_delay_ms(0, "1", 0.9), 1000);
    CHECK_INT(kusto_retry_delay_ms(3, "2.5", 0.0), 2500);
    CHECK_INT(kusto_retry_delay_ms(0, "0", 0.5), 0);
}

static void test_retry_after_is_bounded(void) { CHECK_INT(kusto_retry_delay_ms(0, "86400", 0.0), 60000); }

static void test_retry_after_date_or_garbage_falls_back_to_backoff(void) {
    CHECK_INT(kusto_retry_delay_ms(0, "Wed, 21 Oct 2015 07:28:00 GMT", 0.0), 500);
    CHECK_INT(kusto_retry_delay_ms(1, "-5", 0.0), 1000);
    CHECK_INT(kusto_retry_delay_ms(1, "", 0.0), 1000);
    CHECK_INT(kusto_retry_delay_ms(1, NULL, 0.0), 1000);
}

static void test_backoff_doubles_up_to_a_cap(void) {
    CHECK_INT(kusto_retry_delay_ms(0, NULL, 0.0), 500);
    CHECK_INT(kusto_retry_delay_ms(2, NULL, 0.0), 2000);
    CHECK_INT(kusto_retry_delay_ms(5, NULL, 0.0), 16000);
    CHECK_INT(kusto_retry_delay_ms(40, NULL, 0.0), 16000);
}

static void test_jitter_takes_off_up_to_half(void) {
    CHECK_INT(kusto_retry_delay_ms(1, NULL, 0.5), 750);
    long most = kusto_retry_delay_ms(2, NULL, 0.999999);
    CHECK(most > 1000 && most <= 1001);
}

/* The decision the libcurl loop and kusto_op share. */
static void test_decide(void) {
    kusto_http_request req = {"POST", "https://c.example/v2/rest/query", NULL, "{}", 2, 0, NULL, NULL, NULL, NULL};
    kusto_http_response resp = {0};
    long delay = -1;
    resp.status = 503;
    CHECK_INT(kusto_retry_decide(&req, 0, 3, KUSTO_OK, &resp, NULL, &delay), 1);
    CHECK(delay >= 250 && delay <= 500);
    CHECK_INT(kusto_retry_decide(&req, 3, 3, KUSTO_OK, &resp, NULL, &delay), 0); /* none left */
    resp.status = 400;
    CHECK_INT(kusto_retry_decide(&req, 0, 3, KUSTO_OK, &resp, NULL, &delay), 0);
    resp.status = 0;
    resp.transient = 1;
    CHECK_INT(kusto_retry_decide(&req, 0, 3, KUSTO_E_NETWORK, &resp, NULL, &delay), 1);
    resp.delivered = 10; /* body bytes reached the parser */
    CHECK_INT(kusto_retry_decide(&req, 0, 3, KUSTO_E_NETWORK, &resp, NULL, &delay), 0);
    resp.delivered = 0;
    resp.transient = 0;
    CHECK_INT(kusto_retry_decide(&req, 0, 3, KUSTO_E_NETWORK, &resp, NULL, &delay), 0);
    resp.status = 429;
    snprintf(resp.retry_after, sizeof resp.retry_after, "5");
    req.deadline_ms = kusto_now_ms() + 2000; /* the pause would end past it */
    CHECK_INT(kusto_retry_decide(&req, 0, 3, KUSTO_OK, &resp, NULL, &delay), 0);
    CHECK_INT(delay, 5000);
}

int main(void) {
    test_decide();
    test_retry_after_seconds_is_used_as_sent();
    test_retry_after_is_bounded();
    test_retry_after_date_or_garbage_falls_back_to_backoff();
    test_backoff_doubles_up_to_a_cap();
    test_jitter_takes_off_up_to_half();
    CHECK_DONE();
}

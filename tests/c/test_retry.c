/* The retry policy's waits: Retry-After honoured and bounded, exponential backoff with jitter. */
#include "check.h"
#include "retry.h"

static void test_retry_after_seconds_is_used_as_sent(void) {
    CHECK_INT(kusto_retry_delay_ms(0, "1", 0.9), 1000);
    CHECK_INT(kusto_retry_delay_ms(3, "2.5", 0.0), 2500);
    CHECK_INT(kusto_retry_delay_ms(0, "0", 0.5), 0);
}

static void test_retry_after_is_bounded(void) {
    CHECK_INT(kusto_retry_delay_ms(0, "86400", 0.0), 60000);
}

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

int main(void) {
    test_retry_after_seconds_is_used_as_sent();
    test_retry_after_is_bounded();
    test_retry_after_date_or_garbage_falls_back_to_backoff();
    test_backoff_doubles_up_to_a_cap();
    test_jitter_takes_off_up_to_half();
    CHECK_DONE();
}

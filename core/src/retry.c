/* Retries with backoff, for the requests that are safe to repeat (see retry.h). */
#include "clock.h"
#include "retry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "log.h"
#include "seam.h"

#define BASE_DELAY_MS 500L
#define MAX_BACKOFF_MS 16000L
#define MAX_RETRY_AFTER_MS 60000L
#define SLEEP_SLICE_MS 100L

/* Jitter needs no secrecy, only that concurrent clients do not retry in step. */
static double random01(void) {
    static _Thread_local unsigned long long state;
    if (!state) state = (unsigned long long)kusto_now_ms() * 0x9E3779B97F4A7C15ull ^ (unsigned long long)(size_t)&state;
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (double)(state >> 11) / 9007199254740992.0;
}

static long retry_after_ms(const char *text) {
    if (!text || !*text) return -1;
    char *end = NULL;
    double seconds = strtod(text, &end);
    if (end == text || *end || !(seconds >= 0)) return -1; /* an HTTP date: fall back to backoff */
    return seconds * 1000 > MAX_RETRY_AFTER_MS ? MAX_RETRY_AFTER_MS : (long)(seconds * 1000);
}

long kusto_retry_delay_ms(int attempt, const char *retry_after, double r) {
    long delay = retry_after_ms(retry_after);
    if (delay >= 0) return delay;
    delay = BASE_DELAY_MS;
    for (int i = 0; i < attempt && delay < MAX_BACKOFF_MS; i++) delay *= 2;
    if (delay > MAX_BACKOFF_MS) delay = MAX_BACKOFF_MS;
    return delay - (long)(r * (double)delay / 2);
}

static int retryable_status(long status, const kusto_http_response *resp) {
    if (status != 408 && status != 429 && status != 500 && status != 502 && status != 503 && status != 504) return 0;
    kusto_error *e = kusto_error_from_service_body((int)status, resp->body.data, resp->body.len);
    int permanent = e ? e->permanent : -1;
    kusto_error_free(e);
    return status == 500 ? permanent == 0 : permanent != 1;
}

static int should_retry(kusto_status status, const kusto_http_response *resp) {
    if (resp->delivered) return 0;
    if (status == KUSTO_E_NETWORK) return resp->transient;
    return status == KUSTO_OK && retryable_status(resp->status, resp);
}

/* Sleeps until `until`, asking the request's cancel callback as it goes; 0, or -1 when cancelled. */
static int wait_until(const kusto_http_request *req, int64_t until) {
    return kusto_sleep_until_ms(until, SLEEP_SLICE_MS, req->cancelled, req->cancel_ud);
}

/* "POST https://host/path: HTTP 503; retry 1 in 1000 ms (Retry-After)": never the query of the URL. */
static void log_retry(const kusto_http_request *req, const kusto_http_response *resp, const kusto_error *e, int retry,
                      long delay_ms, int past_deadline) {
    char what[64];
    snprintf(what, sizeof what, resp->status == 429 ? "throttled (HTTP 429)" : "HTTP %ld", resp->status);
    const char *why = resp->status == 429 || !e ? what : kusto_error_message(e);
    const char *from_server = *resp->retry_after ? " (Retry-After)" : "";
    if (past_deadline)
        kusto_log(KUSTO_LOG_INFO, "%s %.*s: %s; no retry: the next, in %ld ms%s, would be past the deadline",
                  req->method, kusto_log_url_len(req->url), req->url, why, delay_ms, from_server);
    else
        kusto_log(KUSTO_LOG_INFO, "%s %.*s: %s; retry %d in %ld ms%s", req->method, kusto_log_url_len(req->url),
                  req->url, why, retry + 1, delay_ms, from_server);
}

int kusto_retry_decide(const kusto_http_request *req, int retries, int max_retries, kusto_status status,
                       const kusto_http_response *resp, const kusto_error *e, long *delay_ms) {
    if (retries >= max_retries || !should_retry(status, resp)) return 0;
    *delay_ms = kusto_retry_delay_ms(retries, resp->retry_after, random01());
    int past_deadline = req->deadline_ms && kusto_now_ms() + *delay_ms >= req->deadline_ms;
    log_retry(req, resp, e, retries, *delay_ms, past_deadline);
    return !past_deadline;
}

/* The last attempt's outcome, as kusto_http_send gave it. */
static kusto_status give_back(kusto_error **err, kusto_error *e, kusto_status status) {
    if (e) kusto_error_give(err, e);
    return status;
}

kusto_status kusto_http_send_retrying(kusto_http *http, const kusto_http_request *req, kusto_http_response *resp,
                                      kusto_error **err) {
    kusto_status diverted;
    if (kusto_op_seam_send(req, 1, resp, &diverted, err)) return diverted;
    for (int retries = 0;; retries++) {
        kusto_error *e = NULL;
        long delay = 0;
        kusto_status status = kusto_http_send(http, req, resp, &e);
        if (!kusto_retry_decide(req, retries, kusto_http_max_retries(http), status, resp, e, &delay))
            return give_back(err, e, status);
        if (wait_until(req, kusto_now_ms() + delay) != 0) {
            kusto_error_free(e);
            kusto_http_response_clear(resp);
            return kusto_fail(err, KUSTO_E_CANCELLED, "request to %s cancelled while waiting to retry", req->url);
        }
        kusto_error_free(e);
        kusto_http_response_clear(resp);
    }
}

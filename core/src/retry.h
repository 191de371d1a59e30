/* Internal: sending a request again after a transient failure, for calls that are safe to repeat. */
#ifndef KUSTO_RETRY_H
#define KUSTO_RETRY_H

#include "http.h"

/* Like kusto_http_send, with req->deadline_ms shared by every attempt and wait (a wait that would end
   past it is not started: the last attempt's outcome is returned).
   Retries up to the client's max_retries times, with exponential backoff and jitter or the
   server's Retry-After (bounded), when: the transport failed transiently, or the answer is 408,
   429, 502, 503, 504, or a 500 whose error says "@permanent": false; and never once any byte of a
   2xx body reached the sink, nor when the error says "@permanent": true. Only for requests that
   are safe to repeat: token requests, queries, ".show" commands. */
kusto_status kusto_http_send_retrying(kusto_http *http, const kusto_http_request *req, kusto_http_response *resp,
                                      kusto_error **err);

/* The decision after attempt `retries` (0-based) of `req`, whose outcome is `status` (as kusto_http_send
   returned it, with `resp` and the error `e`): 1 to send again after *delay_ms, 0 to keep this outcome (no
   retries left, not worth repeating, or the pause would end past req->deadline_ms). Logs it; never sleeps.
   Shared by kusto_http_send_retrying and kusto_op, which waits by returning KUSTO_OP_WAIT. */
int kusto_retry_decide(const kusto_http_request *req, int retries, int max_retries, kusto_status status,
                       const kusto_http_response *resp, const kusto_error *e, long *delay_ms);

/* The wait before attempt `attempt` + 1 (0-based retries), in ms: Retry-After when the server sent
   one in seconds (at most 60 s), else 500 ms doubling up to 16 s, each with random jitter of up to
   half of it off. `random01` is in [0, 1). Exposed for the unit tests. */
long kusto_retry_delay_ms(int attempt, const char *retry_after, double random01);

#endif

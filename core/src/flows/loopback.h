/* Internal: the loopback listener that receives the browser's redirect in an interactive sign-in. */
#ifndef KUSTO_LOOPBACK_H
#define KUSTO_LOOPBACK_H

#include <stdint.h>

#include "kusto.h"

typedef struct kusto_loopback kusto_loopback;

/* Listens on 127.0.0.1, on a port the system picks. */
kusto_status kusto_loopback_open(kusto_loopback **out, kusto_error **err);
int kusto_loopback_port(const kusto_loopback *l);
/* Answers the browser's requests until one carries `code` or `error` with this `state` (a wrong state is
   answered and ignored, as MSAL does); *query is its query string (caller frees). KUSTO_E_TIMEOUT at
   `deadline_ms` (kusto_now_ms, the monotonic clock); KUSTO_E_CANCELLED when `cancelled` (may be NULL),
   asked every quarter second, says so. */
kusto_status kusto_loopback_wait(kusto_loopback *l, const char *state, int64_t deadline_ms,
                                 kusto_cancel_callback cancelled, void *cancel_ud, char **query, kusto_error **err);
void kusto_loopback_free(kusto_loopback *l);

/* The decoded value of `name` in a query string (a=1&b=x%20y), or NULL; caller frees. */
char *kusto_query_param(const char *query, const char *name);

#endif

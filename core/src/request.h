/* Internal: what kusto_request holds, for the query layer. */
#ifndef KUSTO_REQUEST_H
#define KUSTO_REQUEST_H

#include "buf.h"
#include "kusto.h"

/* The JSON text of option `name` as set (e.g. "true", "\"00:02:00\""), or NULL. `req` may be NULL. */
const char *kusto_request_option(const kusto_request *req, const char *name);
/* Appends {"Options":{...},"Parameters":{...}}: the request's options, then each of `defaults`
   (pairs of name and JSON text, NULL-terminated) that the request does not set. */
int kusto_request_write_properties(const kusto_request *req, const char *const *defaults, kusto_buf *out);
/* A copy of `req` (caller frees with kusto_request_free), or NULL when out of memory. */
kusto_request *kusto_request_copy(const kusto_request *req);
/* Tracing values set on the request, or NULL. */
const char *kusto_request_client_request_id(const kusto_request *req);
const char *kusto_request_application(const kusto_request *req);
const char *kusto_request_user(const kusto_request *req);

#endif

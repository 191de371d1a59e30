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
/* Sets a typed parameter: `literal` (KQL text, taken over: freed on failure too) of Kusto type `type`
   (a static string). The caller checked the name. */
kusto_status kusto_request_put_typed(kusto_request *req, const char *name, const char *type, char *literal);
/* 1 when any parameter is typed; `req` may be NULL. */
int kusto_request_has_typed_parameters(const kusto_request *req);
/* Appends "name:type, ..." for the typed parameters in the order they were set. 0, or -1 (no memory). */
int kusto_request_write_declared(const kusto_request *req, kusto_buf *out);
/* Past the white space and `//` comments at `p` in KQL text (parameters.c). */
const char *kusto_kql_skip_blank(const char *p);
/* The query text to send for `csl` (parameters.c): with the declare statement the typed parameters
   need put in; KUSTO_E_ARGUMENT with an error for a control command (`control`) with typed parameters. */
kusto_status kusto_request_write_query_text(const kusto_request *req, int control, const char *csl, kusto_buf *out,
                                            kusto_error **err);
/* A copy of `req` (caller frees with kusto_request_free), or NULL when out of memory. */
kusto_request *kusto_request_copy(const kusto_request *req);
/* Tracing values set on the request, or NULL. */
const char *kusto_request_client_request_id(const kusto_request *req);
const char *kusto_request_application(const kusto_request *req);
const char *kusto_request_user(const kusto_request *req);

#endif

/* Internal: the seam between the sign-in's requests and a kusto_op (op.c). While an op runs the sign-in on
   its caller's thread, kusto_http_send and kusto_http_send_retrying hand their request to the op instead of
   libcurl: the op answers it from what its caller received, or takes it to be sent and the sign-in unwinds
   with KUSTO_E_WOULDBLOCK, to run again from the start once the answer is in. */
#ifndef KUSTO_SEAM_H
#define KUSTO_SEAM_H

#include "http.h"

/* Never returned to a caller of the public API: the sign-in stops here, for a request the op sends. Whatever
   meets it passes it up unchanged (no log of a failure, no negative cache entry, no other error made of it). */
#define KUSTO_E_WOULDBLOCK ((kusto_status)-100)

/* 1 while a kusto_op runs the sign-in on this thread: a flow that would block (a person, a process) refuses. */
int kusto_op_seam_active(void);

/* Takes the op away from this thread for a call into the caller's own code (a token callback): whatever that
   code sends, through this library too, is its own, not the op's. Give it back with kusto_op_seam_restore. */
void *kusto_op_seam_suspend(void);
void kusto_op_seam_restore(void *op);

/* 0 when no op runs here (send it yourself). Else 1 with *status: the answer the op holds for this request
   (same method and URL; in *resp and *err as kusto_http_send gives them), or KUSTO_E_WOULDBLOCK when the op took
   the request to send. `retrying`: the op retries it as kusto_http_send_retrying does. */
int kusto_op_seam_send(const kusto_http_request *req, int retrying, kusto_http_response *resp, kusto_status *status,
                       kusto_error **err);

#endif

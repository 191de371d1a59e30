/* Tokens the caller's callback supplies. */
#include <stdlib.h>

#include "error.h"
#include "flows.h"
#include "seam.h"
#include "token.h"

kusto_status kusto_flow_token_callback(const kusto_flow_context *ctx, kusto_token_callback callback, void *ud,
                                       kusto_token **out, kusto_error **err) {
    char *token = NULL, *message = NULL;
    int64_t expires_on = 0;
    *out = NULL;
    void *op = kusto_op_seam_suspend(); /* the callback's own requests are not the op's to send */
    int failed = callback(ud, ctx->resource, &token, &expires_on, &message);
    kusto_op_seam_restore(op);
    kusto_status status = KUSTO_OK;
    if (failed)
        status = kusto_fail(err, KUSTO_E_AUTH, "the token callback failed: %s", message ? message : "(no message)");
    else if (!token || !*token) status = kusto_fail(err, KUSTO_E_AUTH, "the token callback returned no token");
    else if (!(*out = kusto_token_new(token, "Bearer", expires_on > 0 ? expires_on : INT64_MAX, ctx->resource, NULL)))
        status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    kusto_secret_free(token);
    free(message);
    return status;
}

/* Application sign-in with a client secret: the OAuth 2.0 client-credentials grant. */
#include "error.h"
#include "flows.h"

kusto_status kusto_flow_client_secret(const kusto_flow_context *ctx, const char *client_id, const char *secret,
                                      kusto_token **out, kusto_error **err) {
    kusto_buf form = {0};
    int failed = kusto_buf_puts(&form, "grant_type=client_credentials&client_id=") ||
                 kusto_buf_form_encode(&form, client_id) || kusto_flow_put_audience(ctx, &form) ||
                 kusto_buf_puts(&form, "&client_info=1&client_secret=") || kusto_buf_form_encode(&form, secret);
    if (failed) {
        kusto_buf_wipe(&form);
        *out = NULL;
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    return kusto_token_request(ctx, &form, out, err);
}

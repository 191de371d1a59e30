/* Application sign-in with a signed assertion: client credentials with client_assertion (RFC 7523). */
#include "error.h"
#include "flows.h"

kusto_status kusto_flow_client_assertion(const kusto_flow_context *ctx, const char *client_id, const char *assertion,
                                         kusto_token **out, kusto_error **err) {
    kusto_buf form = {0};
    int failed = kusto_buf_puts(&form, "grant_type=client_credentials&client_id=") ||
                 kusto_buf_form_encode(&form, client_id) || kusto_flow_put_audience(ctx, &form) ||
                 kusto_buf_puts(&form, "&client_info=1&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3A"
                                       "client-assertion-type%3Ajwt-bearer&client_assertion=") ||
                 kusto_buf_form_encode(&form, assertion);
    if (failed) {
        kusto_buf_wipe(&form);
        *out = NULL;
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    return kusto_token_request(ctx, &form, out, err);
}

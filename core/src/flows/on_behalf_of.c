/* On-behalf-of: a middle-tier application trades the user token it received for one to the cluster. */
#include "error.h"
#include "flows.h"

kusto_status kusto_flow_on_behalf_of(const kusto_flow_context *ctx, const char *client_id,
                                     const kusto_app_credential *cred, const char *user_assertion, kusto_token **out,
                                     kusto_error **err) {
    kusto_buf form = {0};
    if (kusto_buf_puts(&form, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&client_id=") ||
        kusto_buf_form_encode(&form, client_id) || kusto_buf_puts(&form, "&assertion=") ||
        kusto_buf_form_encode(&form, user_assertion) || kusto_buf_puts(&form, "&requested_token_use=on_behalf_of") ||
        kusto_flow_put_audience(ctx, &form, 1) || kusto_buf_puts(&form, "&client_info=1")) {
        kusto_buf_wipe(&form);
        *out = NULL;
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    return kusto_app_token_request(ctx, &form, client_id, cred, out, err);
}

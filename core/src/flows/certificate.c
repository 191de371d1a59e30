/* Application sign-in with a certificate: client credentials proven by a signed client assertion. */
#include "assertion.h"
#include "error.h"

kusto_status kusto_flow_certificate(const kusto_flow_context *ctx, const char *client_id,
                                    kusto_assertion_signer *signer, kusto_token **out, kusto_error **err) {
    kusto_buf form = {0};
    kusto_app_credential cred = {NULL, signer};
    *out = NULL;
    kusto_status status = KUSTO_OK;
    if (kusto_buf_puts(&form, "grant_type=client_credentials&client_id=") || kusto_buf_form_encode(&form, client_id) ||
        kusto_buf_puts(&form, "&scope=") || kusto_buf_form_encode(&form, ctx->resource) ||
        kusto_buf_puts(&form, "%2F.default&client_info=1"))
        status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    if (status == KUSTO_OK) status = kusto_form_add_app_credential(&form, ctx, client_id, &cred, err);
    if (status != KUSTO_OK) {
        kusto_buf_wipe(&form);
        return status;
    }
    return kusto_token_request(ctx, &form, out, err);
}

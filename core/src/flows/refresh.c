/* Silent renewal with a refresh token: the OAuth 2.0 refresh_token grant, as MSAL sends it. */
#include "error.h"
#include "flows.h"

kusto_status kusto_flow_refresh_token(const kusto_flow_context *ctx, const char *client_id, const char *refresh_token,
                                      const char *client_secret, kusto_token **out, kusto_error **err) {
    kusto_buf form = {0};
    int failed = kusto_buf_puts(&form, "grant_type=refresh_token&client_id=") ||
                 kusto_buf_form_encode(&form, client_id) || kusto_buf_puts(&form, "&scope=") ||
                 kusto_buf_form_encode(&form, ctx->resource) ||
                 kusto_buf_puts(&form, "%2F.default+offline_access+openid+profile&client_info=1&refresh_token=") ||
                 kusto_buf_form_encode(&form, refresh_token);
    if (!failed && client_secret)
        failed = kusto_buf_puts(&form, "&client_secret=") || kusto_buf_form_encode(&form, client_secret);
    if (failed) {
        kusto_buf_wipe(&form);
        *out = NULL;
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    return kusto_token_request(ctx, &form, out, err);
}

/* Username and password (resource owner password credentials). Deprecated by Microsoft: it cannot do MFA,
   and fails for federated, personal and Conditional-Access-protected accounts. */
#include <string.h>

#include "error.h"
#include "flows.h"

kusto_status kusto_flow_user_password(const kusto_flow_context *ctx, const char *client_id, const char *user,
                                      const char *password, kusto_token **out, kusto_error **err) {
    kusto_buf form = {0}, anchor = {0};
    *out = NULL;
    if (strpbrk(user, "\r\n")) return kusto_fail(err, KUSTO_E_ARGUMENT, "User ID must not contain line breaks");
    /* Azure AD routes the request by this header (MSAL sends it for ROPC). */
    int failed = kusto_buf_puts(&form, "grant_type=password&client_id=") || kusto_buf_form_encode(&form, client_id) ||
                 kusto_buf_puts(&form, "&username=") || kusto_buf_form_encode(&form, user) ||
                 kusto_buf_puts(&form, "&password=") || kusto_buf_form_encode(&form, password) ||
                 kusto_flow_put_audience(ctx, &form, 1) || kusto_buf_puts(&form, "&client_info=1") ||
                 kusto_buf_printf(&anchor, "X-AnchorMailbox: upn:%s", user);
    if (failed) {
        kusto_buf_wipe(&form);
        kusto_buf_free(&anchor);
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    kusto_status status = kusto_token_request_with_header(ctx, &form, anchor.data, out, err);
    kusto_buf_free(&anchor);
    return status;
}

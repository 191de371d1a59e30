/* Internal: the sign-in flows, one file each, and what they share. */
#ifndef KUSTO_FLOWS_H
#define KUSTO_FLOWS_H

#include "authority.h"
#include "buf.h"
#include "http.h"
#include "kusto.h"

/* What every flow is given. */
typedef struct kusto_flow_context {
    kusto_http *http;
    const kusto_authority *authority;
    const char *resource;  /* e.g. https://c.kusto.windows.net; scope is resource + "/.default" */
    long timeout_ms;
} kusto_flow_context;

/* POSTs the form to the authority's token endpoint (v2) and turns the answer into a token. The form
   holds secrets: it is wiped here whatever happens. */
kusto_status kusto_token_request(const kusto_flow_context *ctx, kusto_buf *form, kusto_token **out,
                                 kusto_error **err);

/* Application sign-in with a client secret (grant_type=client_credentials). */
kusto_status kusto_flow_client_secret(const kusto_flow_context *ctx, const char *client_id, const char *secret,
                                      kusto_token **out, kusto_error **err);

/* Silent renewal (grant_type=refresh_token) with the scope decorated as MSAL does (offline_access
   openid profile) and client_info=1; `client_secret` for a confidential client, else NULL. The answer
   usually carries a new refresh token, which replaces the old one in the cache. */
kusto_status kusto_flow_refresh_token(const kusto_flow_context *ctx, const char *client_id, const char *refresh_token,
                                      const char *client_secret, kusto_token **out, kusto_error **err);

#endif

/* Internal: OpenID Connect discovery of an authority whose host is not one of Microsoft's well-known ones
   (AD FS, B2C, a private cloud, the emulator), as MSAL does before its first token request. */
#ifndef KUSTO_OIDC_H
#define KUSTO_OIDC_H

#include <stddef.h>
#include <stdint.h>

#include "authority.h"
#include "http.h"
#include "kusto.h"

#define KUSTO_OIDC_TIMEOUT_MS 10000L /* at most, within the call's deadline */

/* 1 when `login_endpoint`'s host is one MSAL knows (login.microsoftonline.com, its aliases, the national
   clouds) or the login endpoint of a cloud in the trusted-endpoint list: its URLs are built, not discovered. */
int kusto_login_host_is_well_known(const char *login_endpoint);

/* Where the document is: "{url}/v2.0/.well-known/openid-configuration", or without "/v2.0" for Azure AD v1
   (`v1`) and AD FS (tenant "adfs"). Caller frees; NULL when out of memory. */
char *kusto_oidc_document_url(const kusto_authority *a, int v1);

/*
 * Reads a 200 answer into a's token_endpoint, authorization_endpoint and device_authorization_endpoint.
 * token_endpoint is required; every endpoint must be https (http only on a loopback host) and on the
 * authority's own host (any loopback host when the authority is loopback): credentials go nowhere else.
 * KUSTO_E_PROTOCOL for a body that is not an object or lacks token_endpoint, KUSTO_E_UNTRUSTED for an
 * endpoint elsewhere; `a` is unchanged on failure.
 */
kusto_status kusto_oidc_parse(kusto_authority *a, const char *body, size_t len, kusto_error **err);

/* GETs the document (retried as token requests are, ending by `deadline_ms` (clock.h; 0: none) and within
   KUSTO_OIDC_TIMEOUT_MS) and parses it. A 4xx (e.g. an unknown tenant) is KUSTO_E_AUTH with Azure AD's
   error code when the body has one; other statuses KUSTO_E_SERVICE. */
kusto_status kusto_oidc_discover(kusto_authority *a, kusto_http *http, int v1, int64_t deadline_ms, kusto_error **err);

/* kusto_oidc_discover unless a's host is well known (kusto_login_host_is_well_known): what every sign-in does
   before sending a credential, the client's authority's and the environment flows' own alike. */
kusto_status kusto_oidc_discover_unless_well_known(kusto_authority *a, kusto_http *http, int v1, int64_t deadline_ms,
                                                   kusto_error **err);

#endif

/* Internal: the Azure AD authority a sign-in talks to, and the resource a cluster's token is for. */
#ifndef KUSTO_AUTHORITY_H
#define KUSTO_AUTHORITY_H

#include "kusto.h"

#define KUSTO_PUBLIC_LOGIN_ENDPOINT "https://login.microsoftonline.com"
#define KUSTO_DEFAULT_TENANT "organizations"

typedef struct kusto_authority {
    char *url;            /* "https://login.microsoftonline.com/contoso.com", no trailing '/' */
    char *login_endpoint; /* "https://login.microsoftonline.com" (scheme://host[:port]) */
    char *tenant;         /* "contoso.com", a GUID, "common", "organizations" */
    /* From OpenID Connect discovery (oidc.h) for hosts that are not well known; NULL: built from url. */
    char *token_endpoint;
    char *authorization_endpoint;
    char *device_authorization_endpoint;
} kusto_authority;

/*
 * Decides the authority. In order: `authority_url` (the "authority" option, a full https URL whose
 * first path segment is the tenant); `authority_id` when it is itself an https URL; else login
 * endpoint = the AadAuthorityUri environment variable (if set) or the public cloud, and tenant =
 * `authority_id` or "organizations". Checks the URL is https (http only for loopback) and the tenant
 * is a plain name (no '/', '?', '#', spaces).
 */
kusto_status kusto_authority_resolve(kusto_authority *out, const char *authority_url, const char *authority_id,
                                     kusto_error **err);
/* 1 when the user chose the login endpoint: the authority option, an https Authority Id, or the
   AadAuthorityUri environment variable; else the cluster's cloud metadata may choose it. */
int kusto_authority_given(const char *authority_url, const char *authority_id);
/* `login_endpoint` (from cloud metadata) + "/" + tenant (`authority_id`, default organizations). */
kusto_status kusto_authority_from_login(kusto_authority *out, const char *login_endpoint, const char *authority_id,
                                        kusto_error **err);
/* The discovered token endpoint, else "{url}/oauth2/v2.0/token"; caller frees. */
char *kusto_authority_token_endpoint(const kusto_authority *a);
/* The discovered token endpoint (discovery read the v1 document), else "{url}/oauth2/token" (Azure AD v1);
   caller frees. */
char *kusto_authority_token_endpoint_v1(const kusto_authority *a);
/* The discovered endpoints, else "{url}/oauth2/v2.0/devicecode" and "{url}/oauth2/v2.0/authorize";
   caller frees. */
char *kusto_authority_devicecode_endpoint(const kusto_authority *a);
char *kusto_authority_authorize_endpoint(const kusto_authority *a);
void kusto_authority_clear(kusto_authority *a);

/* The token resource for a cluster URL: "scheme://host" without port, path or trailing '/'; caller
   frees. KUSTO_E_ARGUMENT when `cluster_url` is not an absolute http(s) URL. */
kusto_status kusto_resource_for_cluster(char **out, const char *cluster_url, kusto_error **err);

#endif

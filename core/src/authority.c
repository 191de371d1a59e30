/* The Azure AD authority a sign-in talks to, and the resource a cluster's token is for. */
#include "authority.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "endpoints.h"
#include "error.h"
#include "url.h"

/* "scheme://host[:port]", brackets around an IPv6 host. */
static char *url_origin(const kusto_url *u, int with_port) {
    kusto_buf b = {0};
    int ipv6 = strchr(u->host, ':') != NULL;
    int failed = kusto_buf_printf(&b, "%s://%s%s%s", u->scheme, ipv6 ? "[" : "", u->host, ipv6 ? "]" : "");
    if (!failed && with_port && u->port) failed = kusto_buf_printf(&b, ":%d", u->port);
    if (failed) {
        kusto_buf_free(&b);
        return NULL;
    }
    return kusto_buf_take(&b);
}

/* Secrets (client secret, password, refresh token) go to the authority: https only, but for loopback. */
static kusto_status parse_authority_url(kusto_url *u, const char *text, const char *what, kusto_error **err) {
    if (text && strpbrk(text, "?#"))
        return kusto_fail(err, KUSTO_E_ARGUMENT, "%s must not have a query or fragment", what);
    kusto_status status = kusto_url_parse(u, text, what, err);
    if (status != KUSTO_OK) return status;
    if (strcmp(u->scheme, "https") != 0 && !kusto_host_is_loopback(u->host)) {
        status = kusto_fail(err, KUSTO_E_UNTRUSTED, "refusing to use %s over plain http ('%s'): https is required",
                            what, u->host);
        kusto_url_clear(u);
    }
    return status;
}

/* A tenant is one path segment: a GUID, a domain, "common", "organizations"... */
static int tenant_is_plain(const char *tenant) {
    if (!*tenant || strcmp(tenant, ".") == 0 || strcmp(tenant, "..") == 0) return 0;
    for (const unsigned char *p = (const unsigned char *)tenant; *p; p++)
        if (*p <= ' ' || *p == 0x7f || strchr("/?#\\", *p)) return 0;
    return 1;
}

/* Fills `out` from a login base URL (no trailing '/') and a tenant. */
static kusto_status authority_set(kusto_authority *out, char *login_endpoint, const char *base, const char *tenant,
                                  const char *what, kusto_error **err) {
    out->login_endpoint = login_endpoint;
    if (!login_endpoint) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    if (!tenant_is_plain(tenant))
        return kusto_fail(err, KUSTO_E_ARGUMENT, "invalid tenant '%s' in %s: expected a tenant id or domain", tenant,
                          what);
    kusto_buf b = {0};
    if (kusto_buf_printf(&b, "%s/%s", base, tenant)) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    out->url = kusto_buf_take(&b);
    out->tenant = kusto_strdup(tenant);
    return out->tenant ? KUSTO_OK : kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
}

/* "https://login.microsoftonline.com/contoso.com[/]": the path is the tenant (default organizations). */
static kusto_status from_full_url(kusto_authority *out, const char *text, const char *what, kusto_error **err) {
    kusto_url u;
    kusto_status status = parse_authority_url(&u, text, what, err);
    if (status != KUSTO_OK) return status;
    char *tenant = u.path + strspn(u.path, "/");
    size_t len = strlen(tenant);
    while (len > 0 && tenant[len - 1] == '/') tenant[--len] = '\0';
    if (strchr(tenant, '/'))
        status = kusto_fail(err, KUSTO_E_ARGUMENT, "%s must be https://host/tenant, got the path '/%s'", what, tenant);
    char *origin = status == KUSTO_OK ? url_origin(&u, 1) : NULL;
    if (status == KUSTO_OK) status = authority_set(out, origin, origin, len ? tenant : KUSTO_DEFAULT_TENANT, what, err);
    kusto_url_clear(&u);
    return status;
}

/* Login endpoint (its path kept), tenant from Authority Id. */
static kusto_status from_login_and_tenant(kusto_authority *out, const char *login, const char *what, const char *tenant,
                                          kusto_error **err) {
    kusto_url u;
    kusto_status status = parse_authority_url(&u, login, what, err);
    if (status != KUSTO_OK) return status;
    char *origin = url_origin(&u, 1);
    kusto_buf base = {0};
    size_t path_len = strlen(u.path);
    while (path_len > 0 && u.path[path_len - 1] == '/') path_len--;
    int failed = !origin || kusto_buf_puts(&base, origin) || kusto_buf_append(&base, u.path, path_len);
    if (failed) {
        free(origin);
        status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    } else {
        status = authority_set(out, origin, base.data, tenant && *tenant ? tenant : KUSTO_DEFAULT_TENANT,
                               "Authority Id", err);
    }
    kusto_buf_free(&base);
    kusto_url_clear(&u);
    return status;
}

static int looks_like_url(const char *text) {
    return text && (strncasecmp(text, "https://", 8) == 0 || strncasecmp(text, "http://", 7) == 0);
}

kusto_status kusto_authority_resolve(kusto_authority *out, const char *authority_url, const char *authority_id,
                                     kusto_error **err) {
    memset(out, 0, sizeof *out);
    kusto_status status;
    if (authority_url && *authority_url) status = from_full_url(out, authority_url, "the authority option", err);
    else if (looks_like_url(authority_id)) status = from_full_url(out, authority_id, "Authority Id", err);
    else if (getenv("AadAuthorityUri") && *getenv("AadAuthorityUri"))
        status = from_login_and_tenant(out, getenv("AadAuthorityUri"), "the AadAuthorityUri environment variable",
                                       authority_id, err);
    else status = from_login_and_tenant(out, KUSTO_PUBLIC_LOGIN_ENDPOINT, "the login endpoint", authority_id, err);
    if (status != KUSTO_OK) kusto_authority_clear(out);
    return status;
}

int kusto_authority_given(const char *authority_url, const char *authority_id) {
    const char *env = getenv("AadAuthorityUri");
    return (authority_url && *authority_url) || looks_like_url(authority_id) || (env && *env);
}

kusto_status kusto_authority_from_login(kusto_authority *out, const char *login_endpoint, const char *authority_id,
                                        kusto_error **err) {
    memset(out, 0, sizeof *out);
    kusto_status status = from_login_and_tenant(out, login_endpoint, "the cluster's login endpoint (cloud metadata)",
                                                authority_id, err);
    if (status != KUSTO_OK) kusto_authority_clear(out);
    return status;
}

/* `discovered` when OpenID Connect discovery gave it, else "{url}{suffix}". */
static char *endpoint_or(const kusto_authority *a, const char *discovered, const char *suffix) {
    if (discovered) return kusto_strdup(discovered);
    kusto_buf b = {0};
    if (!a || !a->url || kusto_buf_printf(&b, "%s%s", a->url, suffix)) return NULL;
    return kusto_buf_take(&b);
}

char *kusto_authority_token_endpoint(const kusto_authority *a) {
    return endpoint_or(a, a ? a->token_endpoint : NULL, "/oauth2/v2.0/token");
}

char *kusto_authority_token_endpoint_v1(const kusto_authority *a) {
    return endpoint_or(a, a ? a->token_endpoint : NULL, "/oauth2/token");
}

char *kusto_authority_devicecode_endpoint(const kusto_authority *a) {
    return endpoint_or(a, a ? a->device_authorization_endpoint : NULL, "/oauth2/v2.0/devicecode");
}

char *kusto_authority_authorize_endpoint(const kusto_authority *a) {
    return endpoint_or(a, a ? a->authorization_endpoint : NULL, "/oauth2/v2.0/authorize");
}

void kusto_authority_clear(kusto_authority *a) {
    if (!a) return;
    free(a->url);
    free(a->login_endpoint);
    free(a->tenant);
    free(a->token_endpoint);
    free(a->authorization_endpoint);
    free(a->device_authorization_endpoint);
    memset(a, 0, sizeof *a);
}

kusto_status kusto_resource_for_cluster(char **out, const char *cluster_url, kusto_error **err) {
    *out = NULL;
    kusto_url u;
    kusto_status status = kusto_url_parse(&u, cluster_url, "cluster URL", err);
    if (status != KUSTO_OK) return status;
    *out = url_origin(&u, 0);
    kusto_url_clear(&u);
    return *out ? KUSTO_OK : kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
}

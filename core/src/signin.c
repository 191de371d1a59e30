/* Which sign-in a client uses, and the glue from a client to the flows in flows/. */
#include "signin.h"

#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "connstr.h"
#include "error.h"
#include "token.h"

#define DEFAULT_SIGN_IN_TIMEOUT_MS 120000L

kusto_flow_context kusto_signin_context(kusto_client *c) {
    kusto_flow_context ctx = {c->http, &c->authority, c->resource,
                              c->timeout_ms ? c->timeout_ms : DEFAULT_SIGN_IN_TIMEOUT_MS};
    return ctx;
}

static int has(const kusto_client *c, kusto_keyword kw) { return kusto_connstr_value(c->cs, kw) != NULL; }

/* ---- tokens the caller brings -------------------------------------------------------------------- */

static kusto_status bring_your_own(kusto_client *c, kusto_keyword kw, kusto_token **out, kusto_error **err) {
    /* The expiry of a token brought by the caller is the caller's business. */
    *out = kusto_token_new(kusto_connstr_value(c->cs, kw), "Bearer", INT64_MAX, c->resource, NULL);
    return *out ? KUSTO_OK : kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
}

static int user_token_applies(const kusto_client *c) { return has(c, KW_USER_TOKEN); }
static kusto_status user_token(kusto_client *c, kusto_token **out, kusto_error **err) {
    return bring_your_own(c, KW_USER_TOKEN, out, err);
}

static int app_token_applies(const kusto_client *c) { return has(c, KW_APPLICATION_TOKEN); }
static kusto_status app_token(kusto_client *c, kusto_token **out, kusto_error **err) {
    return bring_your_own(c, KW_APPLICATION_TOKEN, out, err);
}

/* ---- application secret -------------------------------------------------------------------------- */

static int client_secret_applies(const kusto_client *c) {
    return has(c, KW_APPLICATION_CLIENT_ID) && has(c, KW_APPLICATION_KEY);
}

static kusto_status client_secret(kusto_client *c, kusto_token **out, kusto_error **err) {
    kusto_flow_context ctx = kusto_signin_context(c);
    return kusto_flow_client_secret(&ctx, kusto_connstr_value(c->cs, KW_APPLICATION_CLIENT_ID),
                                    kusto_connstr_value(c->cs, KW_APPLICATION_KEY), out, err);
}

/* ---- the token cache's accounts ------------------------------------------------------------------ */

/* Silently as an account already in the token cache (e.g. the Azure CLI's, with azure_cli_cache=true):
   its access token, else its refresh token; never a prompt. Chosen by name only. */
static int shared_cache_applies(const kusto_client *c) {
    const char *chosen = kusto_client_option(c, "sign_in");
    return chosen && strcmp(chosen, "shared_cache") == 0;
}

/* ---- the table ----------------------------------------------------------------------------------- */

/* First match wins, as in the official SDKs: what the user said most specifically comes first. */
static const kusto_signin_method methods[] = {
    {"user_token", user_token_applies, user_token, 0, 0},
    {"application_token", app_token_applies, app_token, 0, 0},
    {"application_secret", client_secret_applies, client_secret, 1, 0},
    {"shared_cache", shared_cache_applies, NULL, 1, 1},
};

#define METHOD_COUNT (sizeof methods / sizeof *methods)

static kusto_status choose_by_name(const kusto_client *c, const char *name, const kusto_signin_method **out,
                                   kusto_error **err) {
    for (size_t i = 0; i < METHOD_COUNT; i++) {
        if (strcmp(methods[i].name, name) != 0) continue;
        if (!methods[i].applies(c))
            return kusto_fail(err, KUSTO_E_ARGUMENT, "sign_in '%s' lacks its credentials in the connection string or "
                                                     "options", name);
        *out = &methods[i];
        return KUSTO_OK;
    }
    kusto_buf known = {0};
    for (size_t i = 0; i < METHOD_COUNT; i++) kusto_buf_printf(&known, "%s%s", i ? ", " : "", methods[i].name);
    kusto_status status = kusto_fail(err, KUSTO_E_ARGUMENT, "unknown sign_in '%s' (known: %s)", name,
                                     known.data ? known.data : "");
    kusto_buf_free(&known);
    return status;
}

kusto_status kusto_signin_choose(const kusto_client *c, const kusto_signin_method **out, kusto_error **err) {
    *out = NULL;
    if (!kusto_connstr_flag(c->cs, KW_AAD_FEDERATED_SECURITY)) return KUSTO_OK;
    const char *chosen = kusto_client_option(c, "sign_in");
    if (chosen) return choose_by_name(c, chosen, out, err);
    for (size_t i = 0; i < METHOD_COUNT; i++) {
        if (methods[i].applies(c)) {
            *out = &methods[i];
            return KUSTO_OK;
        }
    }
    return kusto_fail(err, KUSTO_E_UNSUPPORTED,
                      "the connection string asks for Azure AD sign-in but gives no credential this version supports "
                      "(Application Client Id with Application Key, User Token, or Application Token)");
}

/* Which sign-in a client uses, and the glue from a client to the flows in flows/. */
#include "signin.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cache.h"
#include "connstr.h"
#include "error.h"
#include "flows/assertion.h"
#include "seam.h"
#include "token.h"

#define DEFAULT_INTERACTIVE_TIMEOUT_MS 120000L

kusto_flow_context kusto_signin_context(kusto_client *c, const kusto_signin_call *call) {
    const char *v1 = kusto_client_option(c, "aad_v1");
    kusto_flow_context ctx = {c->http,
                              &c->authority,
                              call->resource,
                              call->deadline,
                              v1 && kusto_strcasecmp(v1, "true") == 0,
                              c->prompts.cancelled,
                              c->prompts.cancelled_ud};
    return ctx;
}

static int has(const kusto_client *c, kusto_keyword kw) { return kusto_connstr_value(c->cs, kw) != NULL; }

/* ---- tokens the caller brings -------------------------------------------------------------------- */

static kusto_status bring_your_own(kusto_client *c, kusto_keyword kw, const kusto_signin_call *call, kusto_token **out,
                                   kusto_error **err) {
    if (strcmp(call->resource, c->resource) != 0)
        return kusto_fail(err, KUSTO_E_UNSUPPORTED,
                          "a %s brought in the connection string is for the cluster only, not "
                          "for %s",
                          kw == KW_USER_TOKEN ? "User Token" : "Application Token", call->resource);
    /* The token's own expiry when it is a JWT that says (unverified: the cluster checks it); else the caller's
       business. */
    const char *token = kusto_connstr_value(c->cs, kw);
    int64_t exp = kusto_jwt_expiry(token);
    *out = kusto_token_new(token, "Bearer", exp ? exp : INT64_MAX, c->resource, NULL);
    return *out ? KUSTO_OK : kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
}

static int user_token_applies(const kusto_client *c) { return has(c, KW_USER_TOKEN); }
static kusto_status user_token(kusto_client *c, const kusto_signin_call *call, kusto_token **out, kusto_error **err) {
    return bring_your_own(c, KW_USER_TOKEN, call, out, err);
}

static int app_token_applies(const kusto_client *c) { return has(c, KW_APPLICATION_TOKEN); }
static kusto_status app_token(kusto_client *c, const kusto_signin_call *call, kusto_token **out, kusto_error **err) {
    return bring_your_own(c, KW_APPLICATION_TOKEN, call, out, err);
}

/* ---- application secret -------------------------------------------------------------------------- */

static int client_secret_applies(const kusto_client *c) {
    return has(c, KW_APPLICATION_CLIENT_ID) && has(c, KW_APPLICATION_KEY);
}

static kusto_status client_secret(kusto_client *c, const kusto_signin_call *call, kusto_token **out,
                                  kusto_error **err) {
    kusto_flow_context ctx = kusto_signin_context(c, call);
    kusto_app_credential cred = {kusto_connstr_value(c->cs, KW_APPLICATION_KEY), NULL, NULL};
    return kusto_flow_client_credentials(&ctx, kusto_connstr_value(c->cs, KW_APPLICATION_CLIENT_ID), &cred, out, err);
}

/* ---- credentials from the environment ------------------------------------------------------------- */

static int always(const kusto_client *c) { return 1; }

static kusto_status managed_identity(kusto_client *c, const kusto_signin_call *call, kusto_token **out,
                                     kusto_error **err) {
    kusto_flow_context ctx = kusto_signin_context(c, call);
    return kusto_flow_managed_identity(&ctx, kusto_client_option(c, "managed_identity_client_id"),
                                       kusto_client_option(c, "managed_identity_endpoint"), out, err);
}

static int workload_identity_applies(const kusto_client *c) { return kusto_flow_workload_identity_configured(); }
static kusto_status workload_identity(kusto_client *c, const kusto_signin_call *call, kusto_token **out,
                                      kusto_error **err) {
    kusto_flow_context ctx = kusto_signin_context(c, call);
    return kusto_flow_workload_identity(&ctx, out, err);
}

static int environment_applies(const kusto_client *c) { return kusto_flow_environment_configured(); }
static kusto_status environment(kusto_client *c, const kusto_signin_call *call, kusto_token **out, kusto_error **err) {
    kusto_flow_context ctx = kusto_signin_context(c, call);
    return kusto_flow_environment(&ctx, out, err);
}

static kusto_status azure_cli(kusto_client *c, const kusto_signin_call *call, kusto_token **out, kusto_error **err) {
    kusto_flow_context ctx = kusto_signin_context(c, call);
    const char *authority_id = kusto_connstr_value(c->cs, KW_AUTHORITY_ID);
    int plain_tenant = authority_id && !strstr(authority_id, "://");
    return kusto_flow_azure_cli(&ctx, plain_tenant ? authority_id : NULL, out, err);
}

/* ---- application certificate, on-behalf-of ------------------------------------------------------- */

static int has_certificate(const kusto_client *c) {
    return has(c, KW_APPLICATION_CERTIFICATE_BLOB) || kusto_client_option(c, "certificate_path");
}

/* Loads the certificate once per client (sign-ins run one at a time, under sign_in_lock). */
static kusto_status app_credential(kusto_client *c, kusto_app_credential *cred, kusto_error **err) {
    cred->secret = kusto_connstr_value(c->cs, KW_APPLICATION_KEY);
    cred->assertion = NULL;
    cred->signer = NULL;
    if (!has_certificate(c)) return KUSTO_OK;
    if (!c->assertion_signer) {
        kusto_certificate_source src = {kusto_connstr_value(c->cs, KW_APPLICATION_CERTIFICATE_BLOB),
                                        kusto_client_option(c, "certificate_path"),
                                        kusto_client_option(c, "certificate_password"),
                                        kusto_connstr_value(c->cs, KW_APPLICATION_CERTIFICATE_THUMBPRINT),
                                        kusto_connstr_flag(c->cs, KW_APPLICATION_CERTIFICATE_SEND_X5C),
                                        NULL,
                                        NULL};
        kusto_status status = kusto_assertion_signer_new(&c->assertion_signer, &src, err);
        if (status != KUSTO_OK) return status;
    }
    cred->signer = c->assertion_signer;
    return KUSTO_OK;
}

static int certificate_applies(const kusto_client *c) { return has(c, KW_APPLICATION_CLIENT_ID) && has_certificate(c); }

static kusto_status certificate(kusto_client *c, const kusto_signin_call *call, kusto_token **out, kusto_error **err) {
    kusto_flow_context ctx = kusto_signin_context(c, call);
    kusto_app_credential cred;
    kusto_status status = app_credential(c, &cred, err);
    if (status != KUSTO_OK) return status;
    return kusto_flow_client_credentials(&ctx, kusto_connstr_value(c->cs, KW_APPLICATION_CLIENT_ID), &cred, out, err);
}

static int on_behalf_of_applies(const kusto_client *c) {
    return kusto_client_option(c, "user_assertion") && has(c, KW_APPLICATION_CLIENT_ID) &&
           (has(c, KW_APPLICATION_KEY) || has_certificate(c));
}

static kusto_status on_behalf_of(kusto_client *c, const kusto_signin_call *call, kusto_token **out, kusto_error **err) {
    kusto_flow_context ctx = kusto_signin_context(c, call);
    kusto_app_credential cred;
    kusto_status status = app_credential(c, &cred, err);
    if (status != KUSTO_OK) return status;
    return kusto_flow_on_behalf_of(&ctx, kusto_connstr_value(c->cs, KW_APPLICATION_CLIENT_ID), &cred,
                                   kusto_client_option(c, "user_assertion"), out, err);
}

/* ---- username and password (deprecated) ---------------------------------------------------------- */

static int user_password_applies(const kusto_client *c) { return has(c, KW_USER_ID) && has(c, KW_PASSWORD); }

static kusto_status user_password(kusto_client *c, const kusto_signin_call *call, kusto_token **out,
                                  kusto_error **err) {
    kusto_flow_context ctx = kusto_signin_context(c, call);
    const char *client_id = kusto_connstr_value(c->cs, KW_APPLICATION_CLIENT_ID);
    return kusto_flow_user_password(&ctx, client_id ? client_id : KUSTO_PUBLIC_CLIENT_ID,
                                    kusto_connstr_value(c->cs, KW_USER_ID), kusto_connstr_value(c->cs, KW_PASSWORD),
                                    out, err);
}

/* ---- token callback ------------------------------------------------------------------------------ */

static int token_callback_applies(const kusto_client *c) { return c->token_callback != NULL; }

static kusto_status token_callback(kusto_client *c, const kusto_signin_call *call, kusto_token **out,
                                   kusto_error **err) {
    kusto_flow_context ctx = kusto_signin_context(c, call);
    return kusto_flow_token_callback(&ctx, c->token_callback, c->token_callback_ud, out, err);
}

/* ---- a person signs in ------------------------------------------------------------------------- */

static const char *public_client_id(const kusto_client *c) {
    const char *id = kusto_connstr_value(c->cs, KW_APPLICATION_CLIENT_ID);
    return id ? id : KUSTO_PUBLIC_CLIENT_ID;
}

static kusto_status device_code(kusto_client *c, const kusto_signin_call *call, kusto_token **out, kusto_error **err) {
    kusto_flow_context ctx = kusto_signin_context(c, call);
    return kusto_flow_device_code(&ctx, public_client_id(c), c->prompts.device_code, c->prompts.device_code_ud, out,
                                  err);
}

static kusto_status interactive(kusto_client *c, const kusto_signin_call *call, kusto_token **out, kusto_error **err) {
    const char *text = kusto_client_option(c, "interactive_timeout");
    char *end = NULL;
    double seconds = text ? strtod(text, &end) : DEFAULT_INTERACTIVE_TIMEOUT_MS / 1000.0;
    if (text && (end == text || *end || !(seconds > 0) || seconds > 86400))
        return kusto_fail(err, KUSTO_E_ARGUMENT, "option 'interactive_timeout' must be a number of seconds, not '%s'",
                          text);
    kusto_flow_context ctx = kusto_signin_context(c, call);
    return kusto_flow_interactive(&ctx, public_client_id(c), (long)(seconds * 1000), &c->prompts, out, err);
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
    {"user_token", user_token_applies, user_token, 0, 0, NULL, 0, 0},
    {"application_token", app_token_applies, app_token, 0, 0, NULL, 0, 0},
    {"token_callback", token_callback_applies, token_callback, 0, 0, NULL, 0, 0}, /* the caller's tokens: not cached */
    {"on_behalf_of", on_behalf_of_applies, on_behalf_of, 1, 0, NULL, 0, 0},
    {"application_certificate", certificate_applies, certificate, 1, 0, NULL, 0, 0},
    {"application_secret", client_secret_applies, client_secret, 1, 0, NULL, 0, 0},
    {"user_password", user_password_applies, user_password, 1, 0, NULL, 1, 0},
    {"managed_identity", always, managed_identity, 1, 1, NULL, 0, 0},
    {"workload_identity", workload_identity_applies, workload_identity, 1, 1, kusto_flow_env_login_endpoint, 0, 0},
    {"environment", environment_applies, environment, 1, 1, kusto_flow_env_login_endpoint, 0, 0},
    {"azure_cli", always, azure_cli, 1, 1, NULL, 0, 1},
    {"interactive", always, interactive, 1, 1, NULL, 1, 1},
    {"device_code", always, device_code, 1, 1, NULL, 1, 1},
    {"shared_cache", shared_cache_applies, NULL, 1, 1, NULL, 1, 0},
    {"default", always, NULL, 1, 1, NULL, 0, 0}, /* the steps of default_chain.c, each one of the above */
};

#define METHOD_COUNT (sizeof methods / sizeof *methods)

const kusto_signin_method *kusto_signin_method_named(const char *name) {
    for (size_t i = 0; i < METHOD_COUNT; i++)
        if (strcmp(methods[i].name, name) == 0) return &methods[i];
    return NULL;
}

kusto_status kusto_signin_acquire(kusto_client *c, const kusto_signin_method *m, const kusto_signin_call *call,
                                  kusto_token **out, kusto_error **err) {
    if (m->blocks && kusto_op_seam_active())
        return kusto_fail(err, KUSTO_E_UNSUPPORTED,
                          "sign_in '%s' cannot sign in without blocking: sign in beforehand "
                          "(the token cache answers), or use client secret, certificate, managed identity or a "
                          "token_callback",
                          m->name);
    return m->acquire(c, call, out, err);
}

int kusto_signin_uses_authority(const kusto_signin_method *m) {
    static const char *const elsewhere[] = {"managed_identity", "workload_identity", "environment", "azure_cli"};
    if (!m->cached) return 0;
    for (size_t i = 0; i < sizeof elsewhere / sizeof *elsewhere; i++)
        if (strcmp(m->name, elsewhere[i]) == 0) return 0;
    return 1;
}

static kusto_status choose_by_name(const kusto_client *c, const char *name, const kusto_signin_method **out,
                                   kusto_error **err) {
    for (size_t i = 0; i < METHOD_COUNT; i++) {
        if (strcmp(methods[i].name, name) != 0) continue;
        if (!methods[i].applies(c))
            return kusto_fail(err, KUSTO_E_ARGUMENT,
                              "sign_in '%s' lacks its credentials in the connection string, "
                              "options or environment",
                              name);
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

/* As the official SDKs: no credentials means a person signs in in a browser, if anyone is there. With a
   persistent token cache nobody may be needed (an account signed in before, by libkusto, MSAL or the Azure
   CLI): the interactive flow itself then says so when the cache cannot answer. */
static kusto_status fall_back_to_a_person(const kusto_client *c, const kusto_signin_method **out, kusto_error **err) {
    const char *why = NULL;
    if (!c->prompts.browser && !kusto_person_can_answer(&why) && !kusto_cache_path(c->cache))
        return kusto_fail(
            err, KUSTO_E_AUTH,
            "the connection string asks for Azure AD sign-in but gives no credential (Application Client "
            "Id with Application Key or a certificate, User ID with Password, User Token, Application Token, "
            "or a token callback), and interactive sign-in is "
            "impossible here: %s (sign_in \"device_code\" lets a person sign in from another device)",
            why);
    for (size_t i = 0; i < METHOD_COUNT; i++)
        if (strcmp(methods[i].name, "interactive") == 0) *out = &methods[i];
    return KUSTO_OK;
}

kusto_status kusto_signin_choose(const kusto_client *c, const kusto_signin_method **out, kusto_error **err) {
    *out = NULL;
    if (!kusto_connstr_flag(c->cs, KW_AAD_FEDERATED_SECURITY) && !c->token_callback) return KUSTO_OK;
    const char *chosen = kusto_client_option(c, "sign_in");
    /* "default": what the connection string gives, as without sign_in; only without a credential the chain. */
    int default_chain = chosen && strcmp(chosen, "default") == 0;
    if (chosen && !default_chain) return choose_by_name(c, chosen, out, err);
    for (size_t i = 0; i < METHOD_COUNT; i++) {
        if (!methods[i].by_name_only && methods[i].applies(c)) {
            *out = &methods[i];
            return KUSTO_OK;
        }
    }
    return default_chain ? choose_by_name(c, chosen, out, err) : fall_back_to_a_person(c, out, err);
}

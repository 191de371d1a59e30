/* A user signs in in a browser: authorization code with PKCE (S256) over a loopback redirect (RFC 8252),
   as MSAL's acquire_token_interactive does it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "error.h"
#include "flows.h"
#include "loopback.h"
#include "token.h"

/* What one sign-in attempt is made of; verifier is the secret half of PKCE. */
typedef struct attempt {
    char state[48];
    char nonce[48];
    char verifier[48]; /* 32 random bytes: 43 characters */
    char redirect_uri[40];
    char *scope;
} attempt;

static kusto_status attempt_init(attempt *a, const kusto_flow_context *ctx, int port, kusto_error **err) {
    snprintf(a->redirect_uri, sizeof a->redirect_uri, "http://localhost:%d", port);
    a->scope = kusto_user_scope(ctx->resource);
    if (kusto_random_b64url(a->state, 24) || kusto_random_b64url(a->nonce, 24) ||
        kusto_random_b64url(a->verifier, 32) || !a->scope)
        return kusto_fail(err, KUSTO_E_NOMEM, "no random bytes or no memory for the sign-in");
    return KUSTO_OK;
}

static char *authorize_url(const kusto_flow_context *ctx, const char *client_id, const attempt *a) {
    char *challenge = kusto_pkce_challenge(a->verifier);
    char *endpoint = kusto_authority_authorize_endpoint(ctx->authority);
    kusto_buf url = {0};
    int failed = !challenge || !endpoint ||
                 kusto_buf_printf(&url, "%s%cclient_id=", endpoint, strchr(endpoint, '?') ? '&' : '?') ||
                 kusto_buf_form_encode(&url, client_id) || kusto_buf_puts(&url, "&response_type=code&redirect_uri=") ||
                 kusto_buf_form_encode(&url, a->redirect_uri) || kusto_buf_puts(&url, "&scope=") ||
                 kusto_buf_form_encode(&url, a->scope) ||
                 kusto_buf_printf(&url, "&state=%s&code_challenge=%s", a->state, challenge) ||
                 kusto_buf_printf(&url, "&code_challenge_method=S256&nonce=%s&client_info=1", a->nonce);
    free(challenge);
    free(endpoint);
    if (failed) kusto_buf_free(&url);
    return kusto_buf_take(&url);
}

static kusto_status show_browser(const char *url, const kusto_prompts *prompts, kusto_error **err) {
    kusto_browser_callback show = prompts->browser ? prompts->browser : prompts->opener;
    if (show)
        return show(prompts->browser ? prompts->browser_ud : prompts->opener_ud, url)
                 ? kusto_fail(err, KUSTO_E_CANCELLED, "the browser callback cancelled the sign-in")
                 : KUSTO_OK;
    /* If no browser comes up, the person can still copy the address. */
    fprintf(stderr, "Sign in to Azure AD in your browser. If none opens, visit:\n%s\n", url);
    fflush(stderr);
    if (kusto_open_browser(url) != 0)
        fprintf(stderr, "(no browser could be started: set $BROWSER, or open the address above yourself)\n");
    return KUSTO_OK;
}

/* An error redirect (error=access_denied&error_description=...) as Azure AD's error. */
static kusto_status redirect_error(const char *query, kusto_error **err) {
    char *code = kusto_query_param(query, "error");
    char *desc = kusto_query_param(query, "error_description");
    const char *text = desc ? desc : "no description";
    kusto_error *e = kusto_error_new(KUSTO_E_AUTH, "Azure AD refused the sign-in (%s): %.*s", code,
                                     (int)strcspn(text, "\r\n"), text);
    if (e) {
        kusto_error_set_code(e, code);
        if (strncmp(text, "AADSTS", 6) == 0) e->aadsts = strtol(text + 6, NULL, 10);
    }
    free(code);
    free(desc);
    return kusto_error_give(err, e);
}

static kusto_status redeem(const kusto_flow_context *ctx, const char *client_id, const attempt *a, const char *code,
                           kusto_token **out, kusto_error **err) {
    kusto_buf form = {0};
    int failed = kusto_buf_puts(&form, "grant_type=authorization_code&client_id=") ||
                 kusto_buf_form_encode(&form, client_id) || kusto_buf_puts(&form, "&code=") ||
                 kusto_buf_form_encode(&form, code) || kusto_buf_puts(&form, "&redirect_uri=") ||
                 kusto_buf_form_encode(&form, a->redirect_uri) || kusto_buf_puts(&form, "&scope=") ||
                 kusto_buf_form_encode(&form, a->scope) || kusto_buf_printf(&form, "&code_verifier=%s", a->verifier) ||
                 kusto_buf_puts(&form, "&client_info=1");
    if (failed) {
        kusto_buf_wipe(&form);
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    kusto_status status = kusto_token_request(ctx, &form, out, err);
    if (status == KUSTO_OK) status = kusto_id_token_check((*out)->id_token, client_id, a->nonce, err);
    if (status != KUSTO_OK) {
        kusto_token_free(*out);
        *out = NULL;
    }
    return status;
}

kusto_status kusto_flow_interactive(const kusto_flow_context *ctx, const char *client_id, long wait_ms,
                                    const kusto_prompts *prompts, kusto_token **out, kusto_error **err) {
    *out = NULL;
    const char *why = NULL;
    if (!prompts->browser && !kusto_person_can_answer(&why))
        return kusto_fail(err, KUSTO_E_AUTH,
                          "interactive sign-in is impossible here: %s (use sign_in "
                          "\"device_code\", a browser callback, or an application credential)",
                          why);
    kusto_loopback *listener = NULL;
    attempt a = {0};
    char *url = NULL, *query = NULL, *code = NULL;
    kusto_status status = kusto_loopback_open(&listener, err);
    if (status == KUSTO_OK) status = attempt_init(&a, ctx, kusto_loopback_port(listener), err);
    if (status == KUSTO_OK && !(url = authorize_url(ctx, client_id, &a)))
        status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    int64_t deadline = kusto_deadline_min(ctx->deadline_ms, kusto_deadline_in(wait_ms));
    if (status == KUSTO_OK) status = show_browser(url, prompts, err);
    if (status == KUSTO_OK)
        status = kusto_loopback_wait(listener, a.state, deadline, ctx->cancelled, ctx->cancel_ud, &query, err);
    kusto_loopback_free(listener);
    if (status == KUSTO_OK && !(code = kusto_query_param(query, "code"))) status = redirect_error(query, err);
    if (status == KUSTO_OK) status = redeem(ctx, client_id, &a, code, out, err);
    kusto_secret_free(code);
    kusto_secret_free(query);
    free(url);
    free(a.scope);
    memset(a.verifier, 0, sizeof a.verifier);
    return status;
}

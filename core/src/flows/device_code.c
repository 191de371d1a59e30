/* A user signs in on another device with a code: the OAuth 2.0 device authorization grant (RFC 8628),
   as Azure AD and MSAL speak it. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "error.h"
#include "flows.h"
#include "token.h"

#define SLOW_DOWN_SECONDS 5
#define WAIT_STEP_MS 250 /* how often a wait asks whether to stop */

typedef struct device_code {
    char *device_code; /* secret: whoever holds it gets the token */
    char *user_code;
    char *verification_uri;
    char *message;
    long interval; /* seconds between polls */
    int64_t expires_on;
} device_code;

static void device_code_clear(device_code *d) {
    kusto_secret_free(d->device_code);
    free(d->user_code);
    free(d->verification_uri);
    free(d->message);
}

static char *copy_text(const cJSON *json, const char *name) {
    return kusto_strdup(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, name)));
}

static long number_or(const cJSON *json, const char *name, long fallback) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, name);
    long n = cJSON_IsNumber(item) ? (long)item->valuedouble : cJSON_IsString(item) ? atol(item->valuestring) : 0;
    return n > 0 ? n : fallback;
}

/* The devicecode endpoint's answer; an error body becomes Azure AD's error. */
static kusto_status read_device_code(const kusto_flow_context *ctx, const kusto_http_response *resp,
                                     int64_t requested_at, device_code *d, kusto_error **err) {
    cJSON *json = resp->body.len ? cJSON_ParseWithLength(resp->body.data, resp->body.len) : NULL;
    kusto_status status = KUSTO_OK;
    if (resp->status != 200 || !cJSON_GetObjectItemCaseSensitive(json, "user_code")) {
        kusto_token *never = NULL; /* the token reader knows Azure AD's error bodies */
        status = kusto_token_from_response(&never, resp, requested_at, ctx->resource, ctx->authority->url, err);
        if (status == KUSTO_OK) {
            kusto_token_free(never);
            status = kusto_fail(err, KUSTO_E_PROTOCOL, "Azure AD's devicecode endpoint answered without a user code");
        }
    } else {
        d->device_code = copy_text(json, "device_code");
        d->user_code = copy_text(json, "user_code");
        d->verification_uri = copy_text(json, "verification_uri");
        d->message = copy_text(json, "message");
        d->interval = number_or(json, "interval", 5);
        d->expires_on = requested_at + number_or(json, "expires_in", 900);
        if (!d->device_code || !d->user_code || !d->verification_uri)
            status = kusto_fail(err, KUSTO_E_PROTOCOL,
                                "Azure AD's device code answer lacks device_code, user_code "
                                "or verification_uri");
    }
    char *secret = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "device_code"));
    if (secret) memset(secret, 0, strlen(secret));
    cJSON_Delete(json);
    return status;
}

static kusto_status initiate(const kusto_flow_context *ctx, const char *client_id, const char *scope, device_code *d,
                             kusto_error **err) {
    kusto_buf form = {0};
    char *url = kusto_authority_devicecode_endpoint(ctx->authority);
    int failed = !url || kusto_buf_puts(&form, "client_id=") || kusto_buf_form_encode(&form, client_id) ||
                 kusto_buf_puts(&form, "&scope=") || kusto_buf_form_encode(&form, scope);
    if (failed) {
        kusto_buf_wipe(&form);
        free(url);
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    kusto_http_response resp;
    int64_t requested_at = kusto_now();
    kusto_status status = kusto_aad_post(ctx, url, &form, &resp, err);
    if (status == KUSTO_OK) status = read_device_code(ctx, &resp, requested_at, d, err);
    kusto_buf_wipe(&resp.body);
    free(url);
    return status;
}

static int default_prompt(void *ud, const kusto_device_code_info *info) {
    fprintf(stderr, "%s\n", info->message);
    fflush(stderr);
    return 0;
}

static kusto_status prompt_person(const device_code *d, kusto_device_code_callback prompt, void *ud,
                                  kusto_error **err) {
    kusto_buf fallback = {0};
    const char *message = d->message;
    if (!message) { /* Azure AD always sends one; other servers may not */
        kusto_buf_printf(&fallback,
                         "To sign in, use a web browser to open the page %s and enter the code %s to "
                         "authenticate.",
                         d->verification_uri, d->user_code);
        message = fallback.data ? fallback.data : d->user_code;
    }
    kusto_device_code_info info = {message, d->verification_uri, d->user_code, d->expires_on};
    int cancelled = (prompt ? prompt : default_prompt)(ud, &info);
    kusto_buf_free(&fallback);
    return cancelled ? kusto_fail(err, KUSTO_E_CANCELLED, "the device code prompt cancelled the sign-in") : KUSTO_OK;
}

/* One poll: the token, or KUSTO_OK with *again set when Azure AD says to keep polling. */
static kusto_status poll_once(const kusto_flow_context *ctx, const char *client_id, const device_code *d,
                              long *interval, int *again, kusto_token **out, kusto_error **err) {
    kusto_buf form = {0};
    int failed = kusto_buf_puts(&form,
                                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&client_id=") ||
                 kusto_buf_form_encode(&form, client_id) || kusto_buf_puts(&form, "&device_code=") ||
                 kusto_buf_form_encode(&form, d->device_code) || kusto_buf_puts(&form, "&client_info=1");
    if (failed) {
        kusto_buf_wipe(&form);
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    kusto_error *e = NULL;
    kusto_status status = kusto_token_request(ctx, &form, out, &e);
    const char *code = e ? kusto_error_code(e) : NULL;
    *again = status == KUSTO_E_AUTH && code &&
             (strcmp(code, "authorization_pending") == 0 || strcmp(code, "slow_down") == 0);
    if (*again && strcmp(code, "slow_down") == 0) *interval += SLOW_DOWN_SECONDS;
    if (*again) {
        kusto_error_free(e);
        return KUSTO_OK;
    }
    return status == KUSTO_OK ? KUSTO_OK : kusto_error_give(err, e);
}

/* Polls every interval, and a last time just before the deadline when the next poll would fall after it. */
static kusto_status poll(const kusto_flow_context *ctx, const char *client_id, const device_code *d, kusto_token **out,
                         kusto_error **err) {
    long interval = d->interval;
    int64_t last = ctx->deadline_ms - KUSTO_LAST_POLL_MS;
    for (int64_t now; (now = kusto_now_ms()) < last;) {
        int64_t wake = now + interval * 1000L;
        if (kusto_sleep_until_ms(wake < last ? wake : last, WAIT_STEP_MS, ctx->cancelled, ctx->cancel_ud) < 0)
            return kusto_fail(err, KUSTO_E_CANCELLED, KUSTO_SIGNIN_CANCELLED);
        int again = 0;
        kusto_status status = poll_once(ctx, client_id, d, &interval, &again, out, err);
        if (status != KUSTO_OK || !again) return status;
    }
    return kusto_fail(err, KUSTO_E_TIMEOUT, "nobody completed the device code sign-in in time (code %s)", d->user_code);
}

kusto_status kusto_flow_device_code(const kusto_flow_context *ctx, const char *client_id,
                                    kusto_device_code_callback prompt, void *ud, kusto_token **out, kusto_error **err) {
    *out = NULL;
    char *scope = kusto_user_scope(ctx->resource);
    if (!scope) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    device_code d = {0};
    kusto_status status = initiate(ctx, client_id, scope, &d, err);
    if (status == KUSTO_OK) status = prompt_person(&d, prompt, ud, err);
    if (status == KUSTO_OK) {
        /* The code's expiry is wall-clock time; waits run on the monotonic clock, so setting the
           system clock during a sign-in moves no deadline. */
        kusto_flow_context polling = *ctx;
        int64_t left_ms = (d.expires_on - kusto_now()) * 1000;
        polling.deadline_ms = kusto_deadline_min(ctx->deadline_ms, kusto_now_ms() + (left_ms > 0 ? left_ms : 0));
        status = poll(&polling, client_id, &d, out, err);
    }
    device_code_clear(&d);
    free(scope);
    return status;
}

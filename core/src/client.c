/* kusto_client: a cluster, how to sign in to it, and the connections and tokens kept between calls. */
#include "client.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "connstr.h"
#include "endpoints.h"
#include "error.h"
#include "flows/flows.h"
#include "options.h"
#include "token.h"

#define EXPIRY_MARGIN_SECONDS 300

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_status;

static void global_init_once(void) { global_status = curl_global_init(CURL_GLOBAL_DEFAULT); }

kusto_status kusto_global_init(void) {
    pthread_once(&global_once, global_init_once);
    return global_status == CURLE_OK ? KUSTO_OK : KUSTO_E_NOMEM;
}

const char *kusto_version(void) { return KUSTO_VERSION; }

/* Keywords libkusto knows but does not act on: refusing them beats ignoring what the user asked. */
static const kusto_keyword unsupported_keywords[] = {
    KW_DSTS_FEDERATED_SECURITY, KW_STREAMING,  KW_UNCOMPRESSED, KW_ENFORCE_MFA, KW_ACCEPT, KW_QUERY_CONSISTENCY,
    KW_DATA_SOURCE_URI,         KW_AZURE_REGION, KW_NAMESPACE,  KW_APPLICATION_CERTIFICATE_ISSUER,
    KW_APPLICATION_CERTIFICATE_SUBJECT,
};

static kusto_status refuse_unsupported(const kusto_connstr *cs, kusto_error **err) {
    for (size_t i = 0; i < sizeof unsupported_keywords / sizeof *unsupported_keywords; i++) {
        kusto_keyword kw = unsupported_keywords[i];
        if (kusto_connstr_value(cs, kw))
            return kusto_fail(err, KUSTO_E_UNSUPPORTED, "connection string keyword '%s' is not supported by libkusto",
                              kusto_keyword_get(kw)->name);
    }
    return KUSTO_OK;
}

typedef struct client_options {
    const char *authority;
    const char *ca_file;
    const char *timeout;
    const char *trusted_hosts;
} client_options;

/* Options that are not connection-string keywords; "authority" here is the full authority URL. */
static const char **client_option_slot(client_options *co, const char *name) {
    if (strcmp(name, "authority") == 0) return &co->authority;
    if (strcmp(name, "ca_file") == 0) return &co->ca_file;
    if (strcmp(name, "timeout") == 0) return &co->timeout;
    if (strcmp(name, "trusted_hosts") == 0) return &co->trusted_hosts;
    return NULL;
}

static kusto_status apply_options(kusto_connstr *cs, const kusto_options *opts, client_options *co,
                                  kusto_error **err) {
    for (size_t i = 0; opts && i < kusto_options_count(opts); i++) {
        const char *name = kusto_options_name(opts, i), *value = kusto_options_value(opts, i);
        const char **slot = client_option_slot(co, name);
        if (slot) {
            *slot = value;
        } else if (strcmp(name, "cache_path") == 0) {
            return kusto_fail(err, KUSTO_E_UNSUPPORTED, "option 'cache_path': the persistent token cache is not in "
                                                        "this version (tokens are cached in memory per client)");
        } else if (kusto_keyword_lookup(name) < 0) {
            return kusto_fail(err, KUSTO_E_ARGUMENT, "unknown option '%s'", name);
        } else {
            kusto_status status = kusto_connstr_set(cs, name, value, err);
            if (status != KUSTO_OK) return status;
        }
    }
    return KUSTO_OK;
}

static kusto_status parse_timeout(const char *text, long *ms, kusto_error **err) {
    char *end = NULL;
    double seconds = text ? strtod(text, &end) : 0;
    if (text && (end == text || *end || !(seconds > 0) || seconds > 86400 * 7))
        return kusto_fail(err, KUSTO_E_ARGUMENT, "option 'timeout' must be a number of seconds, not '%s'", text);
    *ms = (long)(seconds * 1000);
    return KUSTO_OK;
}

static kusto_auth_mode choose_auth_mode(const kusto_connstr *cs) {
    if (!kusto_connstr_flag(cs, KW_AAD_FEDERATED_SECURITY)) return KUSTO_AUTH_NONE;
    if (kusto_connstr_value(cs, KW_USER_TOKEN)) return KUSTO_AUTH_USER_TOKEN;
    if (kusto_connstr_value(cs, KW_APPLICATION_TOKEN)) return KUSTO_AUTH_APP_TOKEN;
    if (kusto_connstr_value(cs, KW_APPLICATION_CLIENT_ID) && kusto_connstr_value(cs, KW_APPLICATION_KEY))
        return KUSTO_AUTH_CLIENT_SECRET;
    return KUSTO_AUTH_UNAVAILABLE;
}

static kusto_status setup(kusto_client *c, const char *connstr, const kusto_options *opts, kusto_error **err) {
    client_options co = {0};
    kusto_status status = kusto_connstr_parse(&c->cs, connstr ? connstr : "", err);
    if (status == KUSTO_OK) status = apply_options(c->cs, opts, &co, err);
    if (status == KUSTO_OK) status = refuse_unsupported(c->cs, err);
    if (status != KUSTO_OK) return status;
    const char *cluster = kusto_connstr_value(c->cs, KW_DATA_SOURCE);
    if (!cluster || !*cluster) return kusto_fail(err, KUSTO_E_CONNSTR, "the connection string has no Data Source");
    const char *db = kusto_connstr_value(c->cs, KW_INITIAL_CATALOG);
    c->cluster = kusto_strdup(cluster);
    c->default_db = kusto_strdup(db ? db : "NetDefaultDB");
    c->trusted_hosts = kusto_strdup(co.trusted_hosts);
    if (!c->cluster || !c->default_db || (co.trusted_hosts && !c->trusted_hosts))
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    status = parse_timeout(co.timeout, &c->timeout_ms, err);
    if (status == KUSTO_OK) status = kusto_resource_for_cluster(&c->resource, c->cluster, err);
    c->auth_mode = choose_auth_mode(c->cs);
    if (status == KUSTO_OK && c->auth_mode != KUSTO_AUTH_NONE)
        status = kusto_authority_resolve(&c->authority, co.authority, kusto_connstr_value(c->cs, KW_AUTHORITY_ID), err);
    if (status == KUSTO_OK) status = kusto_http_new(&c->http, co.ca_file, err);
    if (status == KUSTO_OK) status = kusto_cache_new(&c->cache, err);
    return status;
}

kusto_status kusto_client_new(kusto_client **out, const char *connstr, const kusto_options *opts,
                              kusto_error **err) {
    *out = NULL;
    if (kusto_global_init() != KUSTO_OK) return kusto_fail(err, KUSTO_E_NOMEM, "libcurl could not be initialised");
    kusto_client *c = calloc(1, sizeof *c);
    if (!c) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    pthread_mutex_init(&c->sign_in_lock, NULL);
    kusto_status status = setup(c, connstr, opts, err);
    if (status != KUSTO_OK) {
        kusto_client_free(c);
        return status;
    }
    *out = c;
    return KUSTO_OK;
}

void kusto_client_free(kusto_client *c) {
    if (!c) return;
    kusto_connstr_free(c->cs);
    free(c->cluster);
    free(c->resource);
    free(c->default_db);
    free(c->trusted_hosts);
    kusto_authority_clear(&c->authority);
    kusto_http_free(c->http);
    kusto_cache_free(c->cache);
    pthread_mutex_destroy(&c->sign_in_lock);
    free(c);
}

static kusto_status bring_your_own(kusto_client *c, kusto_keyword kw, kusto_token **out, kusto_error **err) {
    /* The expiry of a token brought by the caller is the caller's business. */
    *out = kusto_token_new(kusto_connstr_value(c->cs, kw), "Bearer", INT64_MAX, c->resource, NULL);
    return *out ? KUSTO_OK : kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
}

static kusto_status sign_in(kusto_client *c, kusto_token **out, kusto_error **err) {
    long timeout_ms = c->timeout_ms ? c->timeout_ms : 120000L;
    kusto_flow_context ctx = {c->http, &c->authority, c->resource, timeout_ms};
    const char *client_id = kusto_connstr_value(c->cs, KW_APPLICATION_CLIENT_ID);
    return kusto_flow_client_secret(&ctx, client_id, kusto_connstr_value(c->cs, KW_APPLICATION_KEY), out, err);
}

/* Tokens are cached per authority, application and resource. */
static char *cache_key(const kusto_client *c) {
    kusto_buf key = {0};
    kusto_buf_printf(&key, "%s|%s|%s", c->authority.url, kusto_connstr_value(c->cs, KW_APPLICATION_CLIENT_ID),
                     c->resource);
    return kusto_buf_take(&key);
}

static kusto_status cached_sign_in(kusto_client *c, kusto_token **out, kusto_error **err) {
    char *key = cache_key(c);
    if (!key) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    pthread_mutex_lock(&c->sign_in_lock);
    kusto_status status = KUSTO_OK;
    *out = kusto_cache_lookup(c->cache, key, kusto_now(), EXPIRY_MARGIN_SECONDS);
    if (!*out) status = sign_in(c, out, err);
    if (status == KUSTO_OK && !(*out)->from_cache) status = kusto_cache_store(c->cache, key, *out, err);
    pthread_mutex_unlock(&c->sign_in_lock);
    free(key);
    if (status != KUSTO_OK) {
        kusto_token_free(*out);
        *out = NULL;
    }
    return status;
}

kusto_status kusto_client_acquire_token(kusto_client *c, kusto_token **out, kusto_error **err) {
    *out = NULL;
    switch (c->auth_mode) {
    case KUSTO_AUTH_NONE:
        return kusto_fail(err, KUSTO_E_ARGUMENT,
                          "the connection string asks for no authentication (AAD Federated Security is not true)");
    case KUSTO_AUTH_USER_TOKEN: return bring_your_own(c, KW_USER_TOKEN, out, err);
    case KUSTO_AUTH_APP_TOKEN: return bring_your_own(c, KW_APPLICATION_TOKEN, out, err);
    case KUSTO_AUTH_CLIENT_SECRET: return cached_sign_in(c, out, err);
    case KUSTO_AUTH_UNAVAILABLE: break;
    }
    return kusto_fail(err, KUSTO_E_UNSUPPORTED,
                      "the connection string asks for Azure AD sign-in but gives no credential this version supports "
                      "(Application Client Id with Application Key, User Token, or Application Token)");
}

kusto_status kusto_client_authorization(kusto_client *c, char **out, kusto_error **err) {
    *out = NULL;
    if (c->auth_mode == KUSTO_AUTH_NONE) return KUSTO_OK;
    kusto_status status = kusto_endpoint_check(c->cluster, c->authority.login_endpoint, c->trusted_hosts, err);
    kusto_token *token = NULL;
    if (status == KUSTO_OK) status = kusto_client_acquire_token(c, &token, err);
    if (status != KUSTO_OK) return status;
    kusto_buf header = {0};
    if (kusto_buf_printf(&header, "Authorization: %s %s", token->token_type, token->access_token)) {
        kusto_buf_wipe(&header);
        status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    *out = kusto_buf_take(&header);
    kusto_token_free(token);
    return status;
}

kusto_status kusto_acquire_token(kusto_token **out, const char *connstr, const kusto_options *opts,
                                 kusto_error **err) {
    kusto_client *client = NULL;
    *out = NULL;
    kusto_status status = kusto_client_new(&client, connstr, opts, err);
    if (status == KUSTO_OK) status = kusto_client_acquire_token(client, out, err);
    kusto_client_free(client);
    return status;
}

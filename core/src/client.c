/* kusto_client: a cluster, how to sign in to it, and the connections and tokens kept between calls. */
#include "client.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "connstr.h"
#include "endpoints.h"
#include "error.h"
#include "options.h"
#include "signin.h"
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

/* Options that are not connection-string keywords; "authority" here is the full authority URL. */
static const char *const client_option_names[] = {
    "authority",
    "ca_file",
    "timeout",
    "trusted_hosts",
    "sign_in",
    NULL,
};

static int is_client_option(const char *name) {
    for (size_t i = 0; client_option_names[i]; i++)
        if (strcmp(name, client_option_names[i]) == 0) return 1;
    return 0;
}

const char *kusto_client_option(const kusto_client *c, const char *name) {
    return kusto_options_get(c->options, name);
}

static kusto_status apply_options(kusto_client *c, const kusto_options *opts, kusto_error **err) {
    for (size_t i = 0; i < kusto_options_count(opts); i++) {
        const char *name = kusto_options_name(opts, i), *value = kusto_options_value(opts, i);
        kusto_status status;
        if (is_client_option(name)) {
            status = kusto_options_set(c->options, name, value);
            if (status != KUSTO_OK) return kusto_fail(err, status, "out of memory");
        } else if (strcmp(name, "cache_path") == 0) {
            return kusto_fail(err, KUSTO_E_UNSUPPORTED, "option 'cache_path': the persistent token cache is not in "
                                                        "this version (tokens are cached in memory per client)");
        } else if (kusto_keyword_lookup(name) < 0) {
            return kusto_fail(err, KUSTO_E_ARGUMENT, "unknown option '%s'", name);
        } else if ((status = kusto_connstr_set(c->cs, name, value, err)) != KUSTO_OK) {
            return status;
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

static kusto_status setup(kusto_client *c, const char *connstr, const kusto_options *opts, kusto_error **err) {
    kusto_status status = kusto_connstr_parse(&c->cs, connstr ? connstr : "", err);
    if (status == KUSTO_OK) status = kusto_options_new(&c->options);
    if (status == KUSTO_OK) status = apply_options(c, opts, err);
    if (status == KUSTO_OK) status = refuse_unsupported(c->cs, err);
    if (status != KUSTO_OK) return status == KUSTO_E_NOMEM ? kusto_fail(err, status, "out of memory") : status;
    const char *cluster = kusto_connstr_value(c->cs, KW_DATA_SOURCE);
    if (!cluster || !*cluster) return kusto_fail(err, KUSTO_E_CONNSTR, "the connection string has no Data Source");
    const char *db = kusto_connstr_value(c->cs, KW_INITIAL_CATALOG);
    c->cluster = kusto_strdup(cluster);
    c->default_db = kusto_strdup(db ? db : "NetDefaultDB");
    if (!c->cluster || !c->default_db) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    status = parse_timeout(kusto_client_option(c, "timeout"), &c->timeout_ms, err);
    if (status == KUSTO_OK) status = kusto_resource_for_cluster(&c->resource, c->cluster, err);
    if (status == KUSTO_OK) status = kusto_signin_choose(c, &c->signin, err);
    if (status == KUSTO_OK && c->signin)
        status = kusto_authority_resolve(&c->authority, kusto_client_option(c, "authority"),
                                         kusto_connstr_value(c->cs, KW_AUTHORITY_ID), err);
    if (status == KUSTO_OK) status = kusto_http_new(&c->http, kusto_client_option(c, "ca_file"), err);
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
    kusto_options_free(c->options);
    free(c->cluster);
    free(c->resource);
    free(c->default_db);
    kusto_authority_clear(&c->authority);
    kusto_http_free(c->http);
    kusto_cache_free(c->cache);
    free(c->cache_key);
    pthread_mutex_destroy(&c->sign_in_lock);
    free(c);
}

/* Tokens are cached per authority, application and resource. */
static char *cache_key(const kusto_client *c) {
    kusto_buf key = {0};
    const char *client_id = kusto_connstr_value(c->cs, KW_APPLICATION_CLIENT_ID);
    kusto_buf_printf(&key, "%s|%s|%s|%s", c->signin->name, c->authority.url, client_id ? client_id : "", c->resource);
    return kusto_buf_take(&key);
}

/* The key is made once per client: a cached token is then a lookup and a copy (about 1 µs from Python). */
static kusto_status cached_sign_in(kusto_client *c, kusto_token **out, kusto_error **err) {
    pthread_mutex_lock(&c->sign_in_lock);
    if (!c->cache_key) c->cache_key = cache_key(c);
    const char *key = c->cache_key;
    kusto_status status = key ? KUSTO_OK : kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    if (key) *out = kusto_cache_lookup(c->cache, key, kusto_now(), EXPIRY_MARGIN_SECONDS);
    if (key && !*out) status = c->signin->acquire(c, out, err);
    if (status == KUSTO_OK && !(*out)->from_cache) status = kusto_cache_store(c->cache, key, *out, err);
    pthread_mutex_unlock(&c->sign_in_lock);
    if (status != KUSTO_OK) {
        kusto_token_free(*out);
        *out = NULL;
    }
    return status;
}

kusto_status kusto_client_acquire_token(kusto_client *c, kusto_token **out, kusto_error **err) {
    *out = NULL;
    if (!c->signin)
        return kusto_fail(err, KUSTO_E_ARGUMENT,
                          "the connection string asks for no authentication (AAD Federated Security is not true)");
    return c->signin->cached ? cached_sign_in(c, out, err) : c->signin->acquire(c, out, err);
}

kusto_status kusto_client_authorization(kusto_client *c, char **out, kusto_error **err) {
    *out = NULL;
    if (!c->signin) return KUSTO_OK;
    kusto_status status =
        kusto_endpoint_check(c->cluster, c->authority.login_endpoint, kusto_client_option(c, "trusted_hosts"), err);
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

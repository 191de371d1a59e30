/* kusto_client: a cluster, how to sign in to it, and the connections and tokens kept between calls. */
#include "client.h"

#include <curl/curl.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cache_file.h"
#include "clock.h"
#include "connstr.h"
#include "default_chain.h"
#include "endpoints.h"
#include "error.h"
#include "flows/assertion.h"
#include "flows/flows.h"
#include "log.h"
#include "oidc.h"
#include "seam.h"
#include "options.h"
#include "shared_clients.h"
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
/* clang-format off */
static const kusto_keyword unsupported_keywords[] = {
    KW_DSTS_FEDERATED_SECURITY, KW_STREAMING,  KW_UNCOMPRESSED, KW_ENFORCE_MFA, KW_ACCEPT, KW_QUERY_CONSISTENCY,
    KW_DATA_SOURCE_URI,         KW_AZURE_REGION, KW_NAMESPACE,  KW_APPLICATION_CERTIFICATE_ISSUER,
    KW_APPLICATION_CERTIFICATE_SUBJECT,
};
/* clang-format on */

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
    "managed_identity_client_id",
    "managed_identity_endpoint",
    "aad_v1",
    "certificate_path",
    "certificate_password",
    "user_assertion",
    "interactive_timeout",
    "proxy",
    "max_retries",
    "max_response_bytes",
    "cache",
    "cache_path",
    "azure_cli_cache",
    "strict",
    NULL,
};

static int is_client_option(const char *name) {
    for (size_t i = 0; client_option_names[i]; i++)
        if (strcmp(name, client_option_names[i]) == 0) return 1;
    return 0;
}

const char *kusto_client_option(const kusto_client *c, const char *name) { return kusto_options_get(c->options, name); }

static kusto_status apply_options(kusto_client *c, const kusto_options *opts, kusto_error **err) {
    for (size_t i = 0; i < kusto_options_count(opts); i++) {
        const char *name = kusto_options_name(opts, i), *value = kusto_options_value(opts, i);
        kusto_status status;
        if (is_client_option(name)) {
            status = kusto_options_set(c->options, name, value);
            if (status != KUSTO_OK) return kusto_fail(err, status, "out of memory");
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

static int option_true(const kusto_client *c, const char *name) {
    const char *value = kusto_client_option(c, name);
    return value && (kusto_strcasecmp(value, "true") == 0 || strcmp(value, "1") == 0);
}

/* Memory unless asked otherwise: a server or a test run should not leave tokens on disk unbidden. */
static kusto_status open_cache(kusto_client *c, kusto_error **err) {
    const char *mode = kusto_client_option(c, "cache"), *path = kusto_client_option(c, "cache_path");
    int cli = option_true(c, "azure_cli_cache");
    if (mode && strcmp(mode, "memory") != 0 && strcmp(mode, "file") != 0)
        return kusto_fail(err, KUSTO_E_ARGUMENT, "option 'cache' must be \"memory\" or \"file\", not '%s'", mode);
    if (mode && strcmp(mode, "memory") == 0 && (path || cli))
        return kusto_fail(err, KUSTO_E_ARGUMENT, "option 'cache' is \"memory\" but %s names a file",
                          path ? "cache_path" : "azure_cli_cache");
    if (path && cli)
        return kusto_fail(err, KUSTO_E_ARGUMENT, "options 'cache_path' and 'azure_cli_cache' name different files");
    if (!path && !cli && !(mode && strcmp(mode, "file") == 0)) return kusto_cache_new(&c->cache, NULL, err);
    char *default_path = NULL;
    kusto_status status = path ? KUSTO_OK : kusto_cache_file_default_path(&default_path, cli, err);
    if (status == KUSTO_OK) status = kusto_cache_new(&c->cache, path ? path : default_path, err);
    free(default_path);
    return status;
}

static kusto_status setup(kusto_client *c, const char *connstr, const kusto_options *opts, kusto_error **err) {
    c->token_callback = kusto_options_token_callback(opts, &c->token_callback_ud);
    kusto_status status = kusto_connstr_parse(&c->cs, connstr ? connstr : "", err);
    if (status == KUSTO_OK) status = kusto_options_new(&c->options);
    if (status == KUSTO_OK) status = apply_options(c, opts, err);
    c->prompts = kusto_options_prompts(opts);
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
    if (status == KUSTO_OK) status = open_cache(c, err); /* before the choice: a cache may answer for a person */
    if (status == KUSTO_OK) status = kusto_signin_choose(c, &c->signin, err);
    if (status == KUSTO_OK)
        kusto_log(KUSTO_LOG_INFO, "sign-in for %s: %s", c->cluster, c->signin ? c->signin->name : "none");
    if (status == KUSTO_OK && c->signin)
        status = kusto_authority_resolve(&c->authority, kusto_client_option(c, "authority"),
                                         kusto_connstr_value(c->cs, KW_AUTHORITY_ID), err);
    c->authority_given = kusto_authority_given(kusto_client_option(c, "authority"),
                                               kusto_connstr_value(c->cs, KW_AUTHORITY_ID));
    if (status == KUSTO_OK) status = kusto_http_new(&c->http, kusto_client_option(c, "ca_file"), err);
    if (status == KUSTO_OK)
        status = kusto_http_configure(c->http, kusto_client_option(c, "proxy"), kusto_client_option(c, "max_retries"),
                                      kusto_client_option(c, "max_response_bytes"), err);
    if (status == KUSTO_OK) status = kusto_metadata_cache_new(&c->metadata, err);
    return status;
}

kusto_status kusto_client_new(kusto_client **out, const char *connstr, const kusto_options *opts, kusto_error **err) {
    *out = NULL;
    if (kusto_global_init() != KUSTO_OK) return kusto_fail(err, KUSTO_E_NOMEM, "libcurl could not be initialised");
    kusto_client *c = calloc(1, sizeof *c);
    if (!c) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    pthread_mutex_init(&c->sign_in_lock, NULL);
    pthread_mutex_init(&c->cloud_lock, NULL);
    kusto_status status = setup(c, connstr, opts, err);
    if (status != KUSTO_OK) {
        kusto_client_free(c);
        return status;
    }
    *out = c;
    return KUSTO_OK;
}

void kusto_client_free(kusto_client *c) {
    if (!c || (c->shared && !kusto_shared_client_release(c))) return;
    kusto_connstr_free(c->cs);
    kusto_options_free(c->options);
    free(c->cluster);
    free(c->resource);
    free(c->default_db);
    kusto_authority_clear(&c->authority);
    kusto_http_free(c->http);
    kusto_cache_free(c->cache);
    kusto_token_free(c->last_token);
    kusto_assertion_signer_free(c->assertion_signer);
    kusto_metadata_cache_free(c->metadata);
    pthread_mutex_destroy(&c->sign_in_lock);
    pthread_mutex_destroy(&c->cloud_lock);
    free(c);
}

#define KUSTO_PUBLIC_CLIENT_ID "db662dc1-0cfe-4e1c-a843-19a68e65be58" /* Kusto's first-party public client */
#define AZURE_CLI_CLIENT_ID "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

/* The application tokens are for: the configured one, else the public client user flows use. */
static const char *cache_client_id(const kusto_client *c) {
    const char *id = kusto_connstr_value(c->cs, KW_APPLICATION_CLIENT_ID);
    if (id) return id;
    return option_true(c, "azure_cli_cache") ? AZURE_CLI_CLIENT_ID : KUSTO_PUBLIC_CLIENT_ID;
}

/* MSAL Python's `environment`: the authority's host name, lower case, without port. */
static char *environment_of(const char *login_endpoint) {
    const char *host = strstr(login_endpoint, "://");
    host = host ? host + 3 : login_endpoint;
    size_t n = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":/");
    char *env = kusto_strndup(host[0] == '[' ? host + 1 : host, host[0] == '[' ? n - 2 : n);
    for (char *p = env; p && *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    return env;
}

typedef struct sign_in_key {
    kusto_cache_key key;
    char *environment;
    char *target;
    char *home_account_id; /* the account a refresh token was found for */
    char *user_account;    /* the account of the connection string's User ID, when it is in the cache */
    char *assertion_hash;  /* on-behalf-of: base64url(SHA-256(user assertion)) */
} sign_in_key;

/* Under sign_in_lock: the method signing in (for sign_in "default", the chain's step). */
static const kusto_signin_method *signing_method(const kusto_client *c) {
    return c->signin_step ? c->signin_step : c->signin;
}

/* Who the tokens are issued to, as MSAL keys them: the identity of the method, not only the app. */
static const char *identity_of(const kusto_client *c) {
    const char *method = signing_method(c)->name, *mi = kusto_client_option(c, "managed_identity_client_id");
    if (strcmp(method, "managed_identity") == 0) return mi ? mi : "SYSTEM_ASSIGNED_MANAGED_IDENTITY";
    if (strcmp(method, "workload_identity") == 0 || strcmp(method, "environment") == 0)
        return kusto_flow_env("AZURE_CLIENT_ID");
    if (strcmp(method, "azure_cli") == 0) return AZURE_CLI_CLIENT_ID;
    return cache_client_id(c);
}

/* With a User ID, a user flow only uses that user's tokens: "any account" could be someone else's. */
static int pick_user_account(sign_in_key *k, const kusto_client *c) {
    const char *user = kusto_connstr_value(c->cs, KW_USER_ID);
    if (!signing_method(c)->user || !user) return 0;
    kusto_account *accounts = NULL;
    size_t count = 0;
    if (kusto_cache_accounts(c->cache, k->environment, &accounts, &count, NULL) != KUSTO_OK) return -1;
    for (size_t i = 0; i < count && !k->user_account; i++)
        if (kusto_strcasecmp(accounts[i].username, user) == 0)
            k->user_account = kusto_strdup(accounts[i].home_account_id);
    kusto_accounts_free(accounts, count);
    /* Not in the cache yet: look for an account nobody has, so the method signs the user in. */
    if (!k->user_account) k->user_account = kusto_strdup("-");
    k->key.home_account_id = k->user_account;
    return k->user_account ? 0 : -1;
}

static int sign_in_key_init(sign_in_key *k, const kusto_client *c, const char *resource) {
    memset(k, 0, sizeof *k);
    kusto_buf target = {0};
    kusto_buf_printf(&target, "%s/.default", resource);
    k->target = kusto_buf_take(&target);
    k->environment = environment_of(c->authority.login_endpoint);
    const char *assertion = strcmp(signing_method(c)->name, "on_behalf_of") == 0
                              ? kusto_client_option(c, "user_assertion")
                              : NULL;
    if (assertion) {
        unsigned char digest[SHA256_DIGEST_LENGTH];
        SHA256((const unsigned char *)assertion, strlen(assertion), digest);
        k->assertion_hash = kusto_b64url_encode(digest, sizeof digest);
    }
    /* On-behalf-of tokens are the user's (stored under their account) and found by the assertion's hash. */
    kusto_cache_key key = {signing_method(c)->user || assertion ? KUSTO_CACHE_ANY_USER : NULL,
                           k->environment,
                           c->authority.tenant,
                           identity_of(c),
                           k->target,
                           k->assertion_hash};
    k->key = key;
    if (!k->target || !k->environment || (assertion && !k->assertion_hash)) return -1;
    return pick_user_account(k, c);
}

static void sign_in_key_clear(sign_in_key *k) {
    free(k->user_account);
    free(k->assertion_hash);
    free(k->environment);
    free(k->target);
    free(k->home_account_id);
}

/* Silent renewal with the account's refresh token; KUSTO_OK with *out NULL when there is none. */
static kusto_status refresh(kusto_client *c, sign_in_key *k, const kusto_signin_call *call, kusto_token **out,
                            kusto_error **err) {
    char *rt = NULL;
    *out = NULL;
    kusto_status status = kusto_cache_find_refresh_token(c->cache, &k->key, &rt, &k->home_account_id, err);
    if (status != KUSTO_OK || !rt) return status;
    kusto_flow_context ctx = kusto_signin_context(c, call);
    status = kusto_flow_refresh_token(&ctx, k->key.client_id, rt, kusto_connstr_value(c->cs, KW_APPLICATION_KEY), out,
                                      err);
    kusto_secret_free(rt);
    if (status == KUSTO_OK && !(*out)->client_info) k->key.home_account_id = k->home_account_id;
    return status;
}

/* A new token: by refresh token for a user, else by the sign-in method (which may prompt). */
static kusto_status renew(kusto_client *c, sign_in_key *k, const kusto_signin_call *call, kusto_token **out,
                          kusto_error **err) {
    kusto_error *refresh_err = NULL;
    kusto_status status = signing_method(c)->user ? refresh(c, k, call, out, &refresh_err) : KUSTO_OK;
    if (status == KUSTO_OK && *out) return KUSTO_OK;
    if (status == KUSTO_E_WOULDBLOCK) return kusto_error_give(err, refresh_err);
    if (!signing_method(c)->acquire || status == KUSTO_E_UNTRUSTED || status == KUSTO_E_NOMEM) {
        kusto_status final = status != KUSTO_OK ? kusto_error_give(err, refresh_err)
                                                : kusto_fail(err, KUSTO_E_AUTH,
                                                             "no account in the token cache can "
                                                             "sign in to this cluster silently");
        return final;
    }
    kusto_error_free(refresh_err);
    return kusto_signin_acquire(c, signing_method(c), call, out, err);
}

/* The key is made once per client: a cached token is then a lookup and a copy (about 1 µs from Python). */
/* The token handed out last, while the in-memory cache has not changed and it needs no renewal: the
   common case of a client that queries again and again, without walking the cache. */
static kusto_token *reuse_last_token(kusto_client *c, int64_t now) {
    unsigned long generation;
    kusto_token *t = c->last_token, *copy;
    if (!t || kusto_cache_generation(c->cache, &generation) != 0 || generation != c->last_generation) return NULL;
    if (t->expires_on - now <= EXPIRY_MARGIN_SECONDS || (t->refresh_on && t->refresh_on <= now)) return NULL;
    if ((copy = kusto_token_copy(t))) copy->from_cache = 1;
    return copy;
}

static void remember_last_token(kusto_client *c, const kusto_token *t) {
    kusto_token_free(c->last_token);
    c->last_token = kusto_cache_generation(c->cache, &c->last_generation) == 0 ? kusto_token_copy(t) : NULL;
}

/* Under sign_in_lock: the cache, else renewal or sign-in. */
static kusto_status find_or_renew(kusto_client *c, int64_t now, const kusto_signin_call *call, kusto_token **out,
                                  kusto_error **err) {
    sign_in_key k;
    kusto_token *cached = NULL;
    if (sign_in_key_init(&k, c, call->resource) != 0) {
        sign_in_key_clear(&k);
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    kusto_status status = kusto_cache_find_token(c->cache, &k.key, now, EXPIRY_MARGIN_SECONDS, &cached, err);
    kusto_log(KUSTO_LOG_DEBUG, "token cache %s for %s (%s)",
              !cached                                           ? "miss"
              : cached->refresh_on && cached->refresh_on <= now ? "hit past its refresh_on, renewing"
                                                                : "hit",
              k.target, signing_method(c)->name);
    if (status == KUSTO_OK && cached && (!cached->refresh_on || cached->refresh_on > now)) {
        *out = cached;
        cached = NULL;
    } else if (status == KUSTO_OK) {
        /* Past refresh_on the cached token is still good: renew, but fall back to it if renewal fails. */
        status = renew(c, &k, call, out, cached ? NULL : err);
        if (status == KUSTO_OK) status = kusto_cache_store(c->cache, &k.key, *out, err);
        else if (cached && status != KUSTO_E_WOULDBLOCK) { /* an op: the renewal's request goes out first */
            *out = cached;
            cached = NULL;
            status = KUSTO_OK;
        }
    }
    sign_in_key_clear(&k);
    kusto_token_free(cached);
    if (status == KUSTO_OK && (*out)->from_cache &&
        (kusto_token_set(&(*out)->resource, call->resource) || kusto_token_set(&(*out)->authority, c->authority.url)))
        status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    return status;
}

/* find_or_renew as the default chain tries each of its steps. */
static kusto_status chain_step(kusto_client *c, const kusto_signin_call *call, kusto_token **out, kusto_error **err) {
    return find_or_renew(c, kusto_now(), call, out, err);
}

static kusto_status cached_sign_in(kusto_client *c, const kusto_signin_call *call, kusto_token **out,
                                   kusto_error **err) {
    int for_cluster = strcmp(call->resource, c->resource) == 0; /* the last token kept is the cluster's */
    pthread_mutex_lock(&c->sign_in_lock);
    int64_t now = kusto_now();
    kusto_status status = KUSTO_OK;
    if (!for_cluster || !(*out = reuse_last_token(c, now))) {
        status = kusto_signin_is_default_chain(c->signin) && !c->signin_step
                   ? kusto_default_chain(c, call, chain_step, out, err)
                   : find_or_renew(c, now, call, out, err);
        if (status == KUSTO_OK && for_cluster) remember_last_token(c, *out);
    }
    pthread_mutex_unlock(&c->sign_in_lock);
    if (status != KUSTO_OK) {
        kusto_token_free(*out);
        *out = NULL;
    }
    return status;
}

/* The metadata's login endpoint becomes the authority's, the tenant kept; the cluster must be on that
   cloud's allow-list. */
static kusto_status adopt_login_endpoint(kusto_client *c, const char *login_endpoint, kusto_error **err) {
    kusto_authority authority;
    kusto_status status = kusto_authority_from_login(&authority, login_endpoint,
                                                     kusto_connstr_value(c->cs, KW_AUTHORITY_ID), err);
    if (status != KUSTO_OK) return status;
    status = kusto_endpoint_check(c->cluster, authority.login_endpoint, kusto_client_option(c, "trusted_hosts"), err);
    if (status == KUSTO_OK) {
        kusto_authority_clear(&c->authority);
        c->authority = authority;
    } else {
        kusto_authority_clear(&authority);
    }
    return status;
}

/* An authority on a host that is not one of Microsoft's well-known ones says where its endpoints are (OpenID
   Connect discovery, as MSAL does): asked once the authority is final, before any credential is sent. */
static kusto_status discover_endpoints(kusto_client *c, int64_t deadline, kusto_error **err) {
    if (!kusto_signin_uses_authority(c->signin)) return KUSTO_OK;
    kusto_signin_call call = {deadline, c->resource};
    return kusto_oidc_discover_unless_well_known(&c->authority, c->http, kusto_signin_context(c, &call).aad_v1,
                                                 deadline, err);
}

/* The trusted check, then (only for a trusted cluster: its answer picks the resource and may pick the
   login endpoint) the cluster's cloud metadata. Tokens the caller brings need no resource. */
static kusto_status resolve_cloud(kusto_client *c, int64_t deadline, kusto_error **err) {
    const char *extra = kusto_client_option(c, "trusted_hosts");
    const char *method_login = c->signin->login_endpoint ? c->signin->login_endpoint() : NULL;
    const char *login = method_login ? method_login : c->authority.login_endpoint;
    if (!c->signin->cached) return kusto_endpoint_check(c->cluster, login, extra, err);
    int login_known = method_login || c->authority_given;
    kusto_status status = login_known ? kusto_endpoint_check(c->cluster, login, extra, err)
                                      : kusto_endpoint_check_any_cloud(c->cluster, extra, err);
    kusto_cloud_info cloud = {0};
    if (status == KUSTO_OK) status = kusto_metadata_get(c->metadata, c->http, c->cluster, deadline, &cloud, err);
    if (status == KUSTO_OK && !login_known) status = adopt_login_endpoint(c, cloud.login_endpoint, err);
    if (status == KUSTO_OK) {
        free(c->resource);
        c->resource = cloud.resource;
        cloud.resource = NULL;
    }
    kusto_cloud_info_clear(&cloud);
    return status == KUSTO_OK ? discover_endpoints(c, deadline, err) : status;
}

/* Once per client: later calls find the cloud decided (failures are retried). */
static kusto_status prepare_sign_in(kusto_client *c, int64_t deadline, kusto_error **err) {
    pthread_mutex_lock(&c->cloud_lock);
    kusto_status status = c->cloud_ready ? KUSTO_OK : resolve_cloud(c, deadline, err);
    if (status == KUSTO_OK) c->cloud_ready = 1;
    pthread_mutex_unlock(&c->cloud_lock);
    return status;
}

int64_t kusto_client_deadline(const kusto_client *c) { return kusto_deadline_in(c->timeout_ms); }

/* A token for `resource` (NULL: the cluster's). */
static kusto_status acquire_token(kusto_client *c, int64_t deadline, const char *resource, kusto_token **out,
                                  kusto_error **err) {
    *out = NULL;
    if (!c->signin)
        return kusto_fail(err, KUSTO_E_ARGUMENT,
                          "the connection string asks for no authentication (AAD Federated Security is not true)");
    kusto_status status = c->signin->cached ? prepare_sign_in(c, deadline, err) : KUSTO_OK;
    kusto_signin_call call = {deadline, resource ? resource : c->resource};
    if (status != KUSTO_OK) return status;
    return c->signin->cached ? cached_sign_in(c, &call, out, err) : kusto_signin_acquire(c, c->signin, &call, out, err);
}

kusto_status kusto_client_acquire_token(kusto_client *c, kusto_token **out, kusto_error **err) {
    return acquire_token(c, kusto_client_deadline(c), NULL, out, err);
}

/* "https://storage.azure.com/.default" -> "https://storage.azure.com"; a resource stays as it is. */
static char *resource_of_scope(const char *scope) {
    static const char suffix[] = "/.default";
    size_t len = strlen(scope), n = sizeof suffix - 1;
    if (len > n && strcmp(scope + len - n, suffix) == 0) len -= n;
    return strndup(scope, len);
}

kusto_status kusto_client_acquire_token_for(kusto_client *c, const char *scope, kusto_token **out, kusto_error **err) {
    *out = NULL;
    if (!scope || !*scope) return kusto_client_acquire_token(c, out, err);
    if (strpbrk(scope, " \t\r\n"))
        return kusto_fail(err, KUSTO_E_ARGUMENT, "one scope per token: \"{resource}/.default\" or a resource, not '%s'",
                          scope);
    char *resource = resource_of_scope(scope);
    if (!resource) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    kusto_status status = acquire_token(c, kusto_client_deadline(c), resource, out, err);
    free(resource);
    return status;
}

kusto_status kusto_client_authorization(kusto_client *c, int64_t deadline, char **out, kusto_error **err) {
    *out = NULL;
    if (!c->signin) return KUSTO_OK;
    kusto_status status = prepare_sign_in(c, deadline, err);
    kusto_token *token = NULL;
    if (status == KUSTO_OK) status = acquire_token(c, deadline, NULL, &token, err);
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

kusto_status kusto_acquire_token(kusto_token **out, const char *connstr, const kusto_options *opts, kusto_error **err) {
    kusto_client *client = NULL;
    *out = NULL;
    kusto_status status = kusto_client_new(&client, connstr, opts, err);
    if (status == KUSTO_OK) status = kusto_client_acquire_token(client, out, err);
    kusto_client_free(client);
    return status;
}

/* ---- the token cache ----------------------------------------------------------------------------- */

kusto_status kusto_client_accounts(kusto_client *c, kusto_account **out, size_t *count, kusto_error **err) {
    char *environment = c->authority.login_endpoint ? environment_of(c->authority.login_endpoint) : NULL;
    if (c->authority.login_endpoint && !environment) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    kusto_status status = kusto_cache_accounts(c->cache, environment, out, count, err);
    free(environment);
    return status;
}

kusto_status kusto_client_remove_account(kusto_client *c, const char *home_account_id, kusto_error **err) {
    if (!home_account_id || !*home_account_id)
        return kusto_fail(err, KUSTO_E_ARGUMENT, "remove_account needs a home_account_id");
    return kusto_cache_remove_account(c->cache, home_account_id, err);
}

kusto_status kusto_client_clear_cache(kusto_client *c, kusto_error **err) { return kusto_cache_clear(c->cache, err); }

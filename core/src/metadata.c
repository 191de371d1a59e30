/* Cloud metadata discovery: which login endpoint and token resource a cluster's cloud uses. */
#include "metadata.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "error.h"
#include "process_cache.h"
#include "retry.h"
#include "url.h"

#define METADATA_PATH "/v1/rest/auth/metadata"

/* A copy of `text` without trailing '/'. */
static char *strip_slashes(const char *text, size_t len) {
    while (len > 0 && text[len - 1] == '/') len--;
    char *copy = malloc(len + 1);
    if (!copy) return NULL;
    memcpy(copy, text, len);
    copy[len] = '\0';
    return copy;
}

static kusto_status cloud_info_set(kusto_cloud_info *out, const char *login, const char *resource, kusto_error **err) {
    out->login_endpoint = strip_slashes(login, strlen(login));
    out->resource = strip_slashes(resource, strlen(resource));
    if (out->login_endpoint && out->resource) return KUSTO_OK;
    kusto_cloud_info_clear(out);
    return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
}

kusto_status kusto_cloud_info_default(kusto_cloud_info *out, kusto_error **err) {
    const char *env = getenv("AadAuthorityUri");
    return cloud_info_set(out, env && *env ? env : "https://login.microsoftonline.com", KUSTO_PUBLIC_RESOURCE, err);
}

/* MFA-required clouds issue tokens for the ".kustomfa." twin of the resource. */
static char *mfa_resource(const char *resource) {
    const char *at = strstr(resource, ".kusto.");
    kusto_buf b = {0};
    if (!at) return kusto_strdup(resource);
    if (kusto_buf_append(&b, resource, (size_t)(at - resource)) || kusto_buf_puts(&b, ".kustomfa.") ||
        kusto_buf_puts(&b, at + strlen(".kusto."))) {
        kusto_buf_free(&b);
        return NULL;
    }
    return kusto_buf_take(&b);
}

static kusto_status invalid(kusto_error **err, const char *why) {
    return kusto_fail(err, KUSTO_E_PROTOCOL, "invalid cloud metadata: %s", why);
}

kusto_status kusto_cloud_info_parse(kusto_cloud_info *out, const char *body, size_t len, kusto_error **err) {
    memset(out, 0, sizeof *out);
    cJSON *json = body && len ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *aad = cJSON_GetObjectItemCaseSensitive(json, "AzureAD");
    kusto_status status;
    if (!cJSON_IsObject(json)) {
        status = invalid(err, "the answer is not a JSON object");
    } else if (cJSON_IsNull(aad)) {
        status = kusto_cloud_info_default(out, err);
    } else {
        const char *login = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(aad, "LoginEndpoint"));
        const char *resource = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(aad, "KustoServiceResourceId"));
        const cJSON *mfa = cJSON_GetObjectItemCaseSensitive(aad, "LoginMfaRequired");
        char *effective = resource && cJSON_IsBool(mfa) && cJSON_IsTrue(mfa) ? mfa_resource(resource) : NULL;
        if (!cJSON_IsObject(aad)) status = invalid(err, "no AzureAD object");
        else if (!login || !*login || !resource || !*resource || !cJSON_IsBool(mfa))
            status = invalid(err, "AzureAD lacks LoginEndpoint, LoginMfaRequired or KustoServiceResourceId");
        else if (cJSON_IsTrue(mfa) && !effective) status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
        else status = cloud_info_set(out, login, effective ? effective : resource, err);
        free(effective);
    }
    cJSON_Delete(json);
    return status;
}

kusto_status kusto_cloud_info_copy(kusto_cloud_info *out, const kusto_cloud_info *from) {
    return cloud_info_set(out, from->login_endpoint, from->resource, NULL);
}

void kusto_cloud_info_clear(kusto_cloud_info *info) {
    if (!info) return;
    free(info->login_endpoint);
    free(info->resource);
    memset(info, 0, sizeof *info);
}

/* ---- the cache ------------------------------------------------------------------------------------ */

typedef struct entry {
    char *origin; /* "https://host:port" */
    kusto_cloud_info info;
    struct entry *next;
} entry;

struct kusto_metadata_cache {
    pthread_mutex_t lock; /* held during a fetch: concurrent first callers wait for its answer */
    entry *entries;
};

kusto_status kusto_metadata_cache_new(kusto_metadata_cache **out, kusto_error **err) {
    *out = calloc(1, sizeof **out);
    if (!*out) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    pthread_mutex_init(&(*out)->lock, NULL);
    return KUSTO_OK;
}

void kusto_metadata_cache_free(kusto_metadata_cache *cache) {
    if (!cache) return;
    for (entry *e = cache->entries, *next; e; e = next) {
        next = e->next;
        free(e->origin);
        kusto_cloud_info_clear(&e->info);
        free(e);
    }
    pthread_mutex_destroy(&cache->lock);
    free(cache);
}

/* "scheme://host[:port]" of the cluster: the cache key, and where the metadata lives. */
static kusto_status origin_of(const char *cluster_url, char **out, kusto_error **err) {
    kusto_url u;
    kusto_status status = kusto_url_parse(&u, cluster_url, "cluster URL", err);
    if (status != KUSTO_OK) return status;
    kusto_buf b = {0};
    int ipv6 = strchr(u.host, ':') != NULL;
    int failed = kusto_buf_printf(&b, "%s://%s%s%s", u.scheme, ipv6 ? "[" : "", u.host, ipv6 ? "]" : "") ||
                 (u.port && kusto_buf_printf(&b, ":%d", u.port));
    kusto_url_clear(&u);
    if (failed) {
        kusto_buf_free(&b);
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    *out = kusto_buf_take(&b);
    return KUSTO_OK;
}

static kusto_status fetch(kusto_http *http, const char *origin, int64_t deadline_ms, kusto_cloud_info *out,
                          kusto_error **err) {
    kusto_buf url = {0};
    if (kusto_buf_printf(&url, "%s" METADATA_PATH, origin)) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    const char *headers[] = {"Accept: application/json", "x-client-sku: libkusto", NULL};
    int64_t deadline = kusto_deadline_min(deadline_ms, kusto_deadline_in(KUSTO_METADATA_TIMEOUT_MS));
    kusto_http_request req = {"GET", url.data, headers, NULL, 0, deadline, NULL, NULL, NULL, NULL};
    kusto_http_response resp = {0};
    int kept = kusto_process_cache_get(url.data, &resp.status, &resp.body); /* another client's answer */
    kusto_status status = kept ? KUSTO_OK : kusto_http_send_retrying(http, &req, &resp, err);
    if (status == KUSTO_OK) status = kusto_http_refuse_redirect(&resp, url.data, err);
    if (status == KUSTO_OK && resp.status == 404) status = kusto_cloud_info_default(out, err);
    else if (status == KUSTO_OK && resp.status == 200)
        status = kusto_cloud_info_parse(out, resp.body.data, resp.body.len, err);
    else if (status == KUSTO_OK)
        status = kusto_fail(err, KUSTO_E_SERVICE, "the cluster's cloud metadata (%s) answered HTTP %ld", url.data,
                            resp.status);
    if (status == KUSTO_OK && !kept) kusto_process_cache_put(url.data, resp.status, &resp.body);
    kusto_http_response_clear(&resp);
    kusto_buf_free(&url);
    return status;
}

static entry *find(kusto_metadata_cache *cache, const char *origin) {
    for (entry *e = cache->entries; e; e = e->next)
        if (strcmp(e->origin, origin) == 0) return e;
    return NULL;
}

static kusto_status lookup_or_fetch(kusto_metadata_cache *cache, kusto_http *http, char *origin, int64_t deadline_ms,
                                    kusto_cloud_info *out, kusto_error **err) {
    entry *e = find(cache, origin);
    if (e) return kusto_cloud_info_copy(out, &e->info) ? kusto_fail(err, KUSTO_E_NOMEM, "out of memory") : KUSTO_OK;
    e = calloc(1, sizeof *e);
    if (!e) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    kusto_status status = fetch(http, origin, deadline_ms, &e->info, err);
    if (status == KUSTO_OK && kusto_cloud_info_copy(out, &e->info) != KUSTO_OK)
        status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    if (status != KUSTO_OK) {
        kusto_cloud_info_clear(&e->info);
        free(e);
        return status;
    }
    e->origin = origin;
    e->next = cache->entries;
    cache->entries = e;
    return KUSTO_OK;
}

kusto_status kusto_metadata_get(kusto_metadata_cache *cache, kusto_http *http, const char *cluster_url,
                                int64_t deadline_ms, kusto_cloud_info *out, kusto_error **err) {
    memset(out, 0, sizeof *out);
    char *origin = NULL;
    kusto_status status = origin_of(cluster_url, &origin, err);
    if (status != KUSTO_OK) return status;
    pthread_mutex_lock(&cache->lock);
    int had = find(cache, origin) != NULL;
    status = lookup_or_fetch(cache, http, origin, deadline_ms, out, err);
    pthread_mutex_unlock(&cache->lock);
    if (had || status != KUSTO_OK) free(origin); /* else the new entry owns it */
    return status;
}

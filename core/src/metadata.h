/* Internal: a cluster's cloud (GET /v1/rest/auth/metadata): its login endpoint and token resource. */
#ifndef KUSTO_METADATA_H
#define KUSTO_METADATA_H

#include <stddef.h>

#include "http.h"
#include "kusto.h"

#define KUSTO_PUBLIC_RESOURCE "https://kusto.kusto.windows.net"
#define KUSTO_METADATA_TIMEOUT_MS 10000L /* at most, within the call's deadline */

typedef struct kusto_cloud_info {
    char *login_endpoint; /* "https://login.microsoftonline.com", no trailing '/' */
    char *resource;       /* the token resource, ".kustomfa." already in when MFA is required; no trailing '/' */
} kusto_cloud_info;

/* The public cloud (login endpoint from the AadAuthorityUri environment variable when set), used when a
   cluster has no metadata (404). */
kusto_status kusto_cloud_info_default(kusto_cloud_info *out, kusto_error **err);

/* Parses a 200 answer. {"AzureAD": null} is the default cloud; a body that is not an object, `{}`, or
   an AzureAD without LoginEndpoint, LoginMfaRequired and KustoServiceResourceId is KUSTO_E_PROTOCOL. */
kusto_status kusto_cloud_info_parse(kusto_cloud_info *out, const char *body, size_t len, kusto_error **err);

kusto_status kusto_cloud_info_copy(kusto_cloud_info *out, const kusto_cloud_info *from);
void kusto_cloud_info_clear(kusto_cloud_info *info);

/* Cloud infos of clusters, cached per scheme://host:port. Thread-safe. */
typedef struct kusto_metadata_cache kusto_metadata_cache;

kusto_status kusto_metadata_cache_new(kusto_metadata_cache **out, kusto_error **err);
void kusto_metadata_cache_free(kusto_metadata_cache *cache);

/*
 * The cloud of `cluster_url` (a copy in *out). Fetched once under the cache's lock, so concurrent first
 * callers share one request, retried as token requests are (retry.h: 429, 5xx, transient failures); a 404 caches the default cloud; other failures are not cached (the next
 * call asks again): KUSTO_E_NETWORK/TIMEOUT, KUSTO_E_SERVICE for another status, KUSTO_E_PROTOCOL for
 * a bad body. The caller must have checked that the cluster is trusted: its answer picks the resource.
 * The request ends by `deadline_ms` (clock.h; 0: none) and within KUSTO_METADATA_TIMEOUT_MS.
 */
kusto_status kusto_metadata_get(kusto_metadata_cache *cache, kusto_http *http, const char *cluster_url,
                                int64_t deadline_ms, kusto_cloud_info *out, kusto_error **err);

#endif

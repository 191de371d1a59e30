/* Internal: where a token may be sent (trusted-endpoint allow-list, loopback rule, http refusal). */
#ifndef KUSTO_ENDPOINTS_H
#define KUSTO_ENDPOINTS_H

#include "kusto.h"

/* core/data/wellKnownKustoEndpoints.json, embedded by tools/embed_json.py into endpoints_data.c. */
extern const char kusto_endpoints_json[];

/* 1 for localhost, ::1 and 127.x.y.z, else 0. */
int kusto_host_is_loopback(const char *host);

/*
 * KUSTO_OK when a token may be sent to `url`: its scheme is https (http only to loopback), and its
 * host is loopback, or matches `extra_hosts` (comma-separated; ".suffix" matches a domain suffix,
 * anything else the exact host), or is on the allow-list of the cloud whose login endpoint is
 * `login_endpoint` (e.g. "https://login.microsoftonline.com"; compared case-insensitively, trailing
 * '/' ignored). Otherwise KUSTO_E_UNTRUSTED with a message naming the host. Makes no request.
 */
kusto_status kusto_endpoint_check(const char *url, const char *login_endpoint, const char *extra_hosts,
                                  kusto_error **err);

/* The same rules, but the host may be on the allow-list of any cloud: checked before asking the cluster
   for its cloud metadata, whose login endpoint then decides (kusto_endpoint_check). Makes no request. */
kusto_status kusto_endpoint_check_any_cloud(const char *url, const char *extra_hosts, kusto_error **err);

/* 1 when `login_endpoint` is the login endpoint of a cloud in the list (or one of its aliases). */
int kusto_endpoint_login_is_known(const char *login_endpoint);

/* 1 when two login hosts (a cache entry's "environment") are the same cloud's: equal ignoring case, or
   names MSAL knows for one cloud (login.windows.net and login.microsoftonline.com...). */
int kusto_login_hosts_same_cloud(const char *a, const char *b);

#endif

/* Internal: what a client knows, shared by client.c (setup, sign-in) and query.c (requests). */
#ifndef KUSTO_CLIENT_H
#define KUSTO_CLIENT_H

#include <pthread.h>

#include "authority.h"
#include "cache.h"
#include "http.h"
#include "kusto.h"

typedef enum kusto_auth_mode {
    KUSTO_AUTH_NONE,          /* AAD Federated Security is not set: no Authorization header */
    KUSTO_AUTH_CLIENT_SECRET, /* Application Client Id + Application Key */
    KUSTO_AUTH_USER_TOKEN,    /* a token the caller brings */
    KUSTO_AUTH_APP_TOKEN,
    KUSTO_AUTH_UNAVAILABLE    /* sign-in asked for, but no supported credential given */
} kusto_auth_mode;

struct kusto_client {
    kusto_connstr *cs;
    char *cluster;       /* Data Source, no trailing '/' */
    char *resource;      /* what tokens are for: scheme://host of the cluster */
    char *default_db;
    kusto_authority authority;
    kusto_auth_mode auth_mode;
    char *trusted_hosts; /* option, may be NULL */
    long timeout_ms;     /* option; 0 = servertimeout + 30 s */
    kusto_http *http;
    kusto_cache *cache;
    pthread_mutex_t sign_in_lock; /* one sign-in at a time: concurrent callers wait for its token */
};

/* "Authorization: Bearer ..." for a request to the cluster, after checking the cluster may be sent
   a token; NULL in *out when the client signs in with nothing. The caller wipes and frees *out. */
kusto_status kusto_client_authorization(kusto_client *client, char **out, kusto_error **err);

#endif

/* Internal: what a client knows, shared by client.c (setup), signin.c (tokens) and query.c (requests). */
#ifndef KUSTO_CLIENT_H
#define KUSTO_CLIENT_H

#include <pthread.h>

#include "authority.h"
#include "cache.h"
#include "http.h"
#include "kusto.h"

typedef struct kusto_signin_method kusto_signin_method;

struct kusto_client {
    kusto_connstr *cs;
    kusto_options *options;             /* client options given (not connection-string keywords) */
    char *cluster;                      /* Data Source, no trailing '/' */
    char *resource;                     /* what tokens are for: scheme://host of the cluster */
    char *default_db;
    kusto_authority authority;
    const kusto_signin_method *signin;  /* NULL: the connection string asks for no authentication */
    long timeout_ms;                    /* option; 0 = servertimeout + 30 s */
    kusto_http *http;
    kusto_cache *cache;
    pthread_mutex_t sign_in_lock;       /* one sign-in at a time: concurrent callers wait for its token */
    char *cache_key;                    /* made on the first sign-in, under sign_in_lock */
};

/* The value of a client option (e.g. "ca_file"), NULL when not given. */
const char *kusto_client_option(const kusto_client *client, const char *name);

/* "Authorization: Bearer ..." for a request to the cluster, after checking the cluster may be sent
   a token; NULL in *out when the client signs in with nothing. The caller wipes and frees *out. */
kusto_status kusto_client_authorization(kusto_client *client, char **out, kusto_error **err);

#endif

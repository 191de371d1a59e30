/* Internal: what a client knows, shared by client.c (setup), signin.c (tokens) and query.c (requests). */
#ifndef KUSTO_CLIENT_H
#define KUSTO_CLIENT_H

#include <pthread.h>
#include <stdatomic.h>

#include "authority.h"
#include "cache.h"
#include "http.h"
#include "metadata.h"
#include "kusto.h"
#include "options.h"

typedef struct kusto_signin_method kusto_signin_method;

struct kusto_client {
    kusto_connstr *cs;
    kusto_options *options; /* client options given (not connection-string keywords) */
    char *cluster;          /* Data Source, no trailing '/' */
    char *resource;         /* what tokens are for: from the cluster's cloud metadata once
                                           resolved (before: scheme://host of the cluster) */
    char *default_db;
    kusto_authority authority;              /* replaced by the cloud metadata's login endpoint unless given */
    int authority_given;                    /* kusto_authority_given(): metadata does not choose it */
    const kusto_signin_method *signin;      /* NULL: the connection string asks for no authentication */
    const kusto_signin_method *signin_step; /* sign_in "default": the chain's step in use, under sign_in_lock */
    long timeout_ms;                        /* option: a whole call's; 0 = none (a query: servertimeout + 30 s) */
    kusto_prompts prompts;                  /* callbacks of the flows that need a person */
    kusto_http *http;
    kusto_cache *cache;
    kusto_token *last_token;                         /* the token last handed out, under sign_in_lock ... */
    unsigned long last_generation;                   /* ... and the in-memory cache's generation then */
    pthread_mutex_t sign_in_lock;                    /* one sign-in at a time: concurrent callers wait for its token */
    _Atomic(const void *) op_signing_in;             /* the kusto_op whose sign-in requests are out (op.c) */
    struct kusto_assertion_signer *assertion_signer; /* the application certificate, loaded at first sign-in */
    kusto_token_callback token_callback;             /* option; NULL when not given */
    void *token_callback_ud;
    kusto_metadata_cache *metadata;
    pthread_mutex_t cloud_lock;         /* guards cloud_ready and the first change of resource/authority */
    int cloud_ready;                    /* the trusted check passed and the cloud is known */
    struct kusto_shared_client *shared; /* kusto_client_shared's entry; NULL: the caller's own client */
};

/* The value of a client option (e.g. "ca_file"), NULL when not given. */
const char *kusto_client_option(const kusto_client *client, const char *name);

/* The deadline (clock.h) of a call starting now: `timeout` from now, or 0 (none) without that option. */
int64_t kusto_client_deadline(const kusto_client *client);

/* "Authorization: Bearer ..." for a request to the cluster, after checking the cluster may be sent
   a token, signing in by `deadline` (0: none); NULL in *out when the client signs in with nothing.
   The caller wipes and frees *out. */
kusto_status kusto_client_authorization(kusto_client *client, int64_t deadline, char **out, kusto_error **err);

#endif

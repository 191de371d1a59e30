/* Internal: the ways a client gets a token, in the order they are considered. */
#ifndef KUSTO_SIGNIN_H
#define KUSTO_SIGNIN_H

#include "client.h"
#include "flows/flows.h"

/* One sign-in: a token for `resource` (the cluster's, or another a caller asks for), done by `deadline`
   (clock.h; 0: none). */
typedef struct kusto_signin_call {
    int64_t deadline;
    const char *resource;
} kusto_signin_call;

struct kusto_signin_method {
    const char *name; /* the value of the "sign_in" option that picks it, e.g. "application_secret" */
    /* 1 when the connection string and options ask for this method. */
    int (*applies)(const kusto_client *client);
    /* Signs in for the call's resource, done by its deadline. */
    kusto_status (*acquire)(kusto_client *client, const kusto_signin_call *call, kusto_token **out, kusto_error **err);
    int cached; /* tokens go through the client's cache (not for tokens the caller brings) */
    /* Not picked by default, only when the "sign_in" option names it: credentials from the environment,
       and flows that need a person ("interactive" is also the last resort, see kusto_signin_choose). */
    int by_name_only;
    /* The login endpoint the method signs in with whatever the client's authority (the environment
       flows: AZURE_AUTHORITY_HOST); NULL: the client's. The trusted check uses it. */
    const char *(*login_endpoint)(void);
    int user;   /* a user's tokens: found in the cache by account, renewed with the refresh token */
    int blocks; /* waits for a person or a process: refused inside a kusto_op (see kusto_signin_acquire) */
};

/* The method named by the "sign_in" option, else the first that applies, else "interactive" when a
   person can answer (KUSTO_E_AUTH saying why not otherwise); *out NULL when the
   connection string asks for no authentication (AAD Federated Security not true). KUSTO_E_ARGUMENT for
   an unknown "sign_in" value; KUSTO_E_UNSUPPORTED when sign-in is asked for but no method applies. */
kusto_status kusto_signin_choose(const kusto_client *client, const kusto_signin_method **out, kusto_error **err);

/* The method that sign_in `name` picks, NULL when none. */
const kusto_signin_method *kusto_signin_method_named(const char *name);

/* 1 when the method sends credentials to the client's authority (not managed identity, the Azure CLI, or
   the environment flows, which have their own and discover it themselves): that authority's endpoints are then
   discovered first. */
int kusto_signin_uses_authority(const kusto_signin_method *method);

/* Signs in with `method`'s flow (method->acquire). Inside a kusto_op a flow that blocks is refused with
   KUSTO_E_UNSUPPORTED: it is only started when the token cache could not answer. */
kusto_status kusto_signin_acquire(kusto_client *client, const kusto_signin_method *method,
                                  const kusto_signin_call *call, kusto_token **out, kusto_error **err);

/* What a flow needs from the client, for one call. */
kusto_flow_context kusto_signin_context(kusto_client *client, const kusto_signin_call *call);

#endif

/* Internal: sign_in "default", DefaultAzureCredential's chain (default_chain.c). */
#ifndef KUSTO_DEFAULT_CHAIN_H
#define KUSTO_DEFAULT_CHAIN_H

#include "signin.h"

/* Gets a token for the call by the client's current method, through its cache (client.c's find-or-renew). */
typedef kusto_status (*kusto_chain_try)(kusto_client *client, const kusto_signin_call *call, kusto_token **out,
                                        kusto_error **err);

/* Under sign_in_lock: tries environment, workload identity, managed identity, the shared token cache, the Azure
   CLI, then interactive only where a person can answer, each by `sign_in`; the first that works becomes
   client->signin_step. Otherwise KUSTO_E_AUTH listing what each step said, one line each (a cancelled or untrusted
   step ends the chain with its own error). */
kusto_status kusto_default_chain(kusto_client *client, const kusto_signin_call *call, kusto_chain_try sign_in,
                                 kusto_token **out, kusto_error **err);

int kusto_signin_is_default_chain(const kusto_signin_method *method);

#endif

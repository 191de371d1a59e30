/* Internal: the process's shared clients (kusto_client_shared in kusto.h). */
#ifndef KUSTO_SHARED_CLIENTS_H
#define KUSTO_SHARED_CLIENTS_H

#include "kusto.h"

/* A holder of a shared client lets go; 1 when the client was forgotten meanwhile and this was its last
   holder: the caller frees it then. */
int kusto_shared_client_release(kusto_client *client);

#endif

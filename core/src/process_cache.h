/* Internal: answers that are the same for every client of the process, kept per URL for 24 h (Azure AD
   sends max-age=86400; MSAL keeps its discoveries as long): a cluster's cloud metadata and an authority's
   OpenID configuration. Only answers the caller accepted are kept (failures are asked again), and the
   caller checks a kept answer as it checks a fresh one. Thread-safe; a forked child keeps its copy. */
#ifndef KUSTO_PROCESS_CACHE_H
#define KUSTO_PROCESS_CACHE_H

#include "buf.h"

/* 1 and a copy of the kept answer (status and body appended to `body`), or 0. */
int kusto_process_cache_get(const char *url, long *status, kusto_buf *body);
/* Keeps an accepted answer of a GET of `url`, replacing an older one. */
void kusto_process_cache_put(const char *url, long status, const kusto_buf *body);
void kusto_process_cache_clear(void);

#endif

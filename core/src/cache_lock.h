/* Internal: the cross-process lock of the token cache file, taken as msal-extensions takes it (so also
   the Azure CLI and other MSAL tools): "<path>.lockfile" created exclusively, flocked, holding "pid name",
   removed on release. docs/DESIGN.md ("The token cache file shared with msal-extensions") says why each
   step is where it is. */
#ifndef KUSTO_CACHE_LOCK_H
#define KUSTO_CACHE_LOCK_H

#include "kusto.h"

typedef struct kusto_cache_lock kusto_cache_lock;

/* Waits for the lock of the cache file `path` (creating its directory, 0700, when missing): libkusto
   processes queue on a flock of the directory (up to 10 s), the queue's head polls the lock file at msal-extensions'
   pace and removes stale ones. KUSTO_E_ARGUMENT naming the lock file when a live writer held it 30 s. */
kusto_status kusto_cache_lock_take(const char *path, kusto_cache_lock **out, kusto_error **err);
/* Removes the lock file, unlocks, and keeps the queue for as long as the lock was held before letting the
   next libkusto process in (so other programs' polls find the lock free). NULL: no-op. */
void kusto_cache_lock_release(kusto_cache_lock *lock);

#endif

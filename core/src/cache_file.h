/* Internal: the token cache file on disk: where it is, who may read it, the cross-process lock and
   the atomic replace. Knows bytes, not JSON (cache.c does the JSON). */
#ifndef KUSTO_CACHE_FILE_H
#define KUSTO_CACHE_FILE_H

#include "buf.h"
#include "kusto.h"

/* $XDG_CACHE_HOME/libkusto/msal_token_cache.json, else ~/.cache/libkusto/msal_token_cache.json; with
   `azure_cli` the Azure CLI's: $AZURE_CONFIG_DIR/msal_token_cache.json, else ~/.azure/... Caller frees. */
kusto_status kusto_cache_file_default_path(char **out, int azure_cli, kusto_error **err);

/* Checks the file (if it exists) and its directory without reading: a regular file, not a symlink,
   owned by the effective user, no group/other permission bits; KUSTO_E_UNTRUSTED naming the path. */
kusto_status kusto_cache_file_check(const char *path, kusto_error **err);

/* The lock other processes (libkusto, msal-extensions, the Azure CLI) honour: "<path>.lockfile",
   created exclusively, holding "pid name", flocked, removed on unlock. Creates the directory (0700)
   when missing. */
typedef struct kusto_cache_lock kusto_cache_lock;
kusto_status kusto_cache_file_lock(const char *path, kusto_cache_lock **out, kusto_error **err);
void kusto_cache_file_unlock(kusto_cache_lock *lock);

/* The whole file into `out` (empty when it does not exist), after the checks of kusto_cache_file_check
   made on the open descriptor. The caller wipes `out`: it holds tokens. */
kusto_status kusto_cache_file_read(const char *path, kusto_buf *out, kusto_error **err);
/* Replaces the file atomically: a 0600 temp file in the same directory, fsync, rename, fsync of the
   directory. Readers see the old or the new file, never a part. */
kusto_status kusto_cache_file_write(const char *path, const char *data, size_t len, kusto_error **err);
/* Moves an unreadable file aside to "<path>.corrupt" (replacing an older one); 0 on success. */
int kusto_cache_file_quarantine(const char *path);

#endif

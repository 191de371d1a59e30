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

/* The directory of `path` ("." when it has none). Caller frees. */
char *kusto_cache_file_dir(const char *path);
/* Creates the directory of `path` (0700) when missing and checks it as kusto_cache_file_check does. */
kusto_status kusto_cache_file_prepare_dir(const char *path, kusto_error **err);

/* The whole file into `out` (empty when it does not exist), after the checks of kusto_cache_file_check
   made on the open descriptor. The caller wipes `out`: it holds tokens. */
kusto_status kusto_cache_file_read(const char *path, kusto_buf *out, kusto_error **err);
/* Replaces the file atomically: a 0600 temp file in the same directory, fsync, rename, fsync of the
   directory; the file's mtime is the write time. Readers see the old or the new file, never a part.
   Temp files that killed writers left (their pid gone) are removed first. Call it under the lock. */
kusto_status kusto_cache_file_write(const char *path, const char *data, size_t len, kusto_error **err);
/* Moves an unreadable file aside to "<path>.corrupt" (replacing an older one); 0 on success. */
int kusto_cache_file_quarantine(const char *path);

#endif

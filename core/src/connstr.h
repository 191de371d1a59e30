/* Internal: connection-string keywords (transcribed from core/data/kcsb.json). */
#ifndef KUSTO_CONNSTR_H
#define KUSTO_CONNSTR_H

#include "kusto.h"

/* In the order of core/data/kcsb.json. */
typedef enum kusto_keyword {
    KW_DATA_SOURCE,
    KW_DSTS_FEDERATED_SECURITY,
    KW_STREAMING,
    KW_UNCOMPRESSED,
    KW_ENFORCE_MFA,
    KW_ACCEPT,
    KW_QUERY_CONSISTENCY,
    KW_PASSWORD,
    KW_DATA_SOURCE_URI,
    KW_AZURE_REGION,
    KW_NAMESPACE,
    KW_APPLICATION_CERTIFICATE_THUMBPRINT,
    KW_APPLICATION_CERTIFICATE_ISSUER,
    KW_APPLICATION_CERTIFICATE_SUBJECT,
    KW_APPLICATION_TOKEN,
    KW_USER_TOKEN,
    KW_APPLICATION_KEY,
    KW_APPLICATION_CERTIFICATE_BLOB,
    KW_APPLICATION_CERTIFICATE_SEND_X5C,
    KW_USER_ID,
    KW_INITIAL_CATALOG,
    KW_AAD_FEDERATED_SECURITY,
    KW_AUTHORITY_ID,
    KW_APPLICATION_NAME_FOR_TRACING,
    KW_USER_NAME_FOR_TRACING,
    KW_APPLICATION_CLIENT_ID,
    KW_COUNT
} kusto_keyword;

typedef struct kusto_keyword_info {
    const char *name;           /* canonical, e.g. "Application Key" */
    const char *const *aliases; /* NULL-terminated */
    int is_bool;
    int is_secret;
} kusto_keyword_info;

const kusto_keyword_info *kusto_keyword_get(kusto_keyword kw);
/* The keyword named by a canonical name, alias or snake_case name (case, spaces and '_'
   ignored), or -1. "client_id" and "client_secret" name Application Client Id / Application Key. */
int kusto_keyword_lookup(const char *name);

/* The value of `kw`, NULL when unset. Booleans are stored as "True"/"False". */
const char *kusto_connstr_value(const kusto_connstr *cs, kusto_keyword kw);
/* A boolean keyword's value: 1 true, 0 false or unset. */
int kusto_connstr_flag(const kusto_connstr *cs, kusto_keyword kw);
/* An empty connection string (no keyword set); NULL when out of memory. */
kusto_connstr *kusto_connstr_new_empty(void);

#endif

/* Internal: the parts of a URL, parsed with libcurl's URL API. */
#ifndef KUSTO_URL_H
#define KUSTO_URL_H

#include "kusto.h"

typedef struct kusto_url {
    char *scheme; /* lower case: "https" */
    char *host;   /* lower case, IPv6 without brackets */
    int port;     /* 0 when not given */
    char *path;   /* "/" at least */
    char *query;  /* without the '?'; NULL when none */
} kusto_url;

/* Parses an absolute http(s) URL; KUSTO_E_ARGUMENT naming `what` when it is not one. */
kusto_status kusto_url_parse(kusto_url *out, const char *text, const char *what, kusto_error **err);
void kusto_url_clear(kusto_url *u);

#endif

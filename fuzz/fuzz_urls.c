/* libFuzzer: authority URLs and tenants, cluster URLs, the trusted-endpoint check. Input: up to
   three NUL-separated strings. */
#include <stdlib.h>
#include <string.h>

#include "authority.h"
#include "endpoints.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    char *text = malloc(size + 2);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = text[size + 1] = '\0';
    const char *parts[3] = {text, "", ""};
    for (size_t i = 0, n = 1; i < size && n < 3; i++)
        if (text[i] == '\0') parts[n++] = text + i + 1;
    kusto_url url;
    if (kusto_url_parse(&url, parts[0], "url", NULL) == KUSTO_OK) kusto_url_clear(&url);
    kusto_authority authority;
    memset(&authority, 0, sizeof authority);
    if (kusto_authority_resolve(&authority, *parts[0] ? parts[0] : NULL, *parts[1] ? parts[1] : NULL, NULL) ==
        KUSTO_OK) {
        free(kusto_authority_token_endpoint(&authority));
        kusto_authority_clear(&authority);
    }
    char *resource = NULL;
    if (kusto_resource_for_cluster(&resource, parts[0], NULL) == KUSTO_OK) free(resource);
    kusto_endpoint_check(parts[0], "https://login.microsoftonline.com", parts[2], NULL);
    free(text);
    return 0;
}

/* libFuzzer: Azure AD token-endpoint answers (JSON bodies) under a few HTTP statuses. */
#include <string.h>

#include "kusto.h"
#include "token.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    if (size < 1) return 0;
    static const long statuses[] = {200, 400, 401, 500};
    kusto_http_response resp;
    memset(&resp, 0, sizeof resp);
    resp.status = statuses[data[0] % 4];
    if (kusto_buf_append(&resp.body, data + 1, size - 1)) return 0;
    kusto_token *token = NULL;
    kusto_error *err = NULL;
    kusto_token_from_response(&token, &resp, 1700000000, "https://c.kusto.windows.net",
                              "https://login.microsoftonline.com/common", &err);
    kusto_token_free(token);
    kusto_error_free(err);
    kusto_buf_free(&resp.body);
    return 0;
}

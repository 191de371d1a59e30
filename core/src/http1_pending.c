/* Placeholder until the http1 branch (core/src/http1.c) is merged: weak, so the real one wins wherever both
   are linked. kusto_op's bytes path answers KUSTO_E_UNSUPPORTED meanwhile; head/body/end work. */
#include "http1.h"

#include "error.h"

__attribute__((weak)) kusto_status kusto_http1_request(kusto_buf *out, const char *method, const char *url,
                                                       const char *const *headers, const char *body, size_t body_len,
                                                       kusto_error **err) {
    return kusto_fail(err, KUSTO_E_UNSUPPORTED, "HTTP/1.1 bytes are not built in yet");
}

__attribute__((weak)) kusto_http1_parser *kusto_http1_parser_new(const char *method, const kusto_http1_callbacks *cb,
                                                                 void *ud) {
    return NULL;
}

__attribute__((weak)) void kusto_http1_parser_free(kusto_http1_parser *p) {}

__attribute__((weak)) int kusto_http1_feed(kusto_http1_parser *p, const char *data, size_t len, kusto_error **err) {
    return -1;
}

__attribute__((weak)) int kusto_http1_keep_alive(const kusto_http1_parser *p) { return 0; }

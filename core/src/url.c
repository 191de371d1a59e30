/* The parts of an absolute http(s) URL, parsed with libcurl's URL API. */
#include "url.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"

static void lower_in_place(char *s) {
    for (; s && *s; s++)
        if (*s >= 'A' && *s <= 'Z') *s = (char)(*s + 32);
}

/* A copy of a part libcurl gives, freed with curl_free; NULL when the part is missing. */
static char *url_part(CURLU *handle, CURLUPart part) {
    char *value = NULL;
    if (curl_url_get(handle, part, &value, 0) != CURLUE_OK) return NULL;
    char *copy = kusto_strdup(value);
    curl_free(value);
    return copy;
}

/* "[::1]" -> "::1". */
static void strip_brackets(char *host) {
    size_t len = strlen(host);
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        memmove(host, host + 1, len - 2);
        host[len - 2] = '\0';
    }
}

static int read_port(CURLU *handle) {
    char *port = NULL;
    if (curl_url_get(handle, CURLUPART_PORT, &port, 0) != CURLUE_OK) return 0;
    int value = atoi(port);
    curl_free(port);
    return value;
}

static kusto_status url_fail(const char *text, const char *what, kusto_error **err) {
    /* A URL with userinfo may carry a password: don't echo it. */
    if (!text || strchr(text, '@')) return kusto_fail(err, KUSTO_E_ARGUMENT, "%s is not an absolute http(s) URL", what);
    return kusto_fail(err, KUSTO_E_ARGUMENT, "%s is not an absolute http(s) URL: '%s'", what, text);
}

kusto_status kusto_url_parse(kusto_url *out, const char *text, const char *what, kusto_error **err) {
    memset(out, 0, sizeof *out);
    if (!what) what = "URL";
    CURLU *handle = text ? curl_url() : NULL;
    if (!handle || curl_url_set(handle, CURLUPART_URL, text, 0) != CURLUE_OK) {
        curl_url_cleanup(handle);
        return url_fail(text, what, err);
    }
    out->scheme = url_part(handle, CURLUPART_SCHEME);
    out->host = url_part(handle, CURLUPART_HOST);
    out->path = url_part(handle, CURLUPART_PATH);
    out->query = url_part(handle, CURLUPART_QUERY);
    out->port = read_port(handle);
    curl_url_cleanup(handle);
    lower_in_place(out->scheme);
    lower_in_place(out->host);
    if (out->host) strip_brackets(out->host);
    int is_http = out->scheme && (strcmp(out->scheme, "https") == 0 || strcmp(out->scheme, "http") == 0);
    if (!is_http || !out->host || !*out->host || !out->path) {
        kusto_url_clear(out);
        return url_fail(text, what, err);
    }
    return KUSTO_OK;
}

void kusto_url_clear(kusto_url *u) {
    if (!u) return;
    free(u->scheme);
    free(u->host);
    free(u->path);
    free(u->query);
    memset(u, 0, sizeof *u);
}

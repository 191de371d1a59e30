/* The loopback listener of an interactive sign-in: a tiny HTTP server for one redirect. */
#include "loopback.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "platform.h"
#include "error.h"
#include "flows.h"

#define MAX_REQUEST 16384
#define READ_TIMEOUT_SECONDS 5

struct kusto_loopback {
    int fd;
    int port;
};

static const char page_done[] = "<!DOCTYPE html><html><head><title>Signed in</title></head><body><p>Authentication "
                                "complete. You can close this window and return to the application.</p></body></html>";
static const char page_failed[] = "<!DOCTYPE html><html><head><title>Sign-in failed</title></head><body><p>The "
                                  "sign-in did not succeed. The application has the details.</p></body></html>";
static const char page_state[] = "<!DOCTYPE html><html><head><title>Sign-in</title></head><body><p>This answer does "
                                 "not belong to the sign-in in progress (state mismatch).</p></body></html>";

kusto_status kusto_loopback_open(kusto_loopback **out, kusto_error **err) {
    *out = NULL;
    kusto_loopback *l = calloc(1, sizeof *l);
    if (!l) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    l->fd = kusto_socket_private(AF_INET, SOCK_STREAM);
    if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(l->fd, 8) != 0 ||
        getsockname(l->fd, (struct sockaddr *)&addr, &len) != 0) {
        int e = errno;
        kusto_loopback_free(l);
        return kusto_fail(err, KUSTO_E_NETWORK, "cannot listen on 127.0.0.1 for the sign-in redirect: %s", strerror(e));
    }
    l->port = ntohs(addr.sin_port);
    *out = l;
    return KUSTO_OK;
}

int kusto_loopback_port(const kusto_loopback *l) { return l->port; }

void kusto_loopback_free(kusto_loopback *l) {
    if (!l) return;
    if (l->fd >= 0) close(l->fd);
    free(l);
}

static int hex(int c) {
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

static char *percent_decode(const char *s, size_t len) {
    char *out = malloc(len + 1), *o = out;
    if (!out) return NULL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%' && i + 2 < len && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            *o++ = (char)(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

char *kusto_query_param(const char *query, const char *name) {
    size_t name_len = strlen(name);
    for (const char *p = query; p && *p;) {
        size_t field = strcspn(p, "&");
        if (field > name_len && strncmp(p, name, name_len) == 0 && p[name_len] == '=')
            return percent_decode(p + name_len + 1, field - name_len - 1);
        p += field;
        if (*p) p++;
    }
    return NULL;
}

static void respond(int fd, int status, const char *reason, const char *page) {
    kusto_buf b = {0};
    kusto_buf_printf(&b,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %zu\r\n"
                     "Cache-Control: no-store\r\nConnection: close\r\n\r\n%s",
                     status, reason, strlen(page), page);
    for (size_t sent = 0; b.data && sent < b.len;) {
        ssize_t n = kusto_send_nosignal(fd, b.data + sent, b.len - sent);
        if (n <= 0) break;
        sent += (size_t)n;
    }
    kusto_buf_free(&b);
}

/* The request target of one GET, read with a bound on size and time; NULL when unreadable. */
static char *read_target(int fd) {
    struct timeval tv = {READ_TIMEOUT_SECONDS, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    kusto_buf req = {0};
    char chunk[2048];
    while (req.len < MAX_REQUEST && !(req.data && strstr(req.data, "\r\n\r\n"))) {
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0 || kusto_buf_append(&req, chunk, (size_t)n)) break;
    }
    char *target = NULL;
    if (req.data && strncmp(req.data, "GET ", 4) == 0) {
        size_t len = strcspn(req.data + 4, " \r\n");
        target = kusto_strndup(req.data + 4, len);
    }
    kusto_buf_wipe(&req); /* it holds the authorization code */
    return target;
}

/* 1 when this connection brought the answer (its query in *query), 0 to keep waiting. */
static int serve_one(int fd, const char *state, char **query) {
    char *target = read_target(fd);
    const char *q = target ? strchr(target, '?') : NULL;
    char *code = q ? kusto_query_param(q + 1, "code") : NULL;
    char *error = q ? kusto_query_param(q + 1, "error") : NULL;
    char *got_state = q ? kusto_query_param(q + 1, "state") : NULL;
    int done = 0;
    if (!code && !error) {
        respond(fd, 404, "Not Found", page_failed);
    } else if (!got_state || strcmp(got_state, state) != 0) {
        respond(fd, 400, "Bad Request", page_state);
    } else {
        respond(fd, 200, "OK", code ? page_done : page_failed);
        *query = kusto_strdup(q + 1);
        done = 1;
    }
    kusto_secret_free(code);
    free(error);
    free(got_state);
    kusto_secret_free(target);
    return done;
}

kusto_status kusto_loopback_wait(kusto_loopback *l, const char *state, int64_t deadline_ms,
                                 kusto_cancel_callback cancelled, void *cancel_ud, char **query, kusto_error **err) {
    *query = NULL;
    for (;;) {
        if (cancelled && cancelled(cancel_ud)) return kusto_fail(err, KUSTO_E_CANCELLED, KUSTO_SIGNIN_CANCELLED);
        int64_t left = deadline_ms - kusto_now_ms();
        if (left <= 0) return kusto_fail(err, KUSTO_E_TIMEOUT, "the browser did not complete the sign-in in time");
        struct pollfd p = {l->fd, POLLIN, 0};
        int ready = poll(&p, 1, left > 250 ? 250 : (int)left);
        if (ready <= 0) continue;
        int fd = kusto_accept_private(l->fd);
        if (fd < 0) continue;
        int done = serve_one(fd, state, query);
        close(fd);
        if (done) return *query ? KUSTO_OK : kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
}

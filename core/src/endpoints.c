/* Where a token may go: the trusted-endpoint allow-list (core/data/wellKnownKustoEndpoints.json,
   embedded in endpoints_data.c), the loopback rule and the refusal of plain http. */
#include "endpoints.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authority.h"
#include "buf.h"
#include "error.h"
#include "url.h"


typedef struct cloud_rules {
    const char *login_endpoint; /* "https://login.microsoftonline.com" */
    const cJSON *suffixes;      /* array of ".kusto.windows.net" ... */
    const cJSON *hostnames;     /* array of exact hosts */
} cloud_rules;

/* Parsed once; never freed (the strings above point into `tree`). */
static struct {
    cJSON *tree;
    cloud_rules *clouds;
    size_t count;
} allow_list;
static pthread_once_t allow_list_once = PTHREAD_ONCE_INIT;

static void allow_list_load(void) {
    cJSON *tree = cJSON_Parse(kusto_endpoints_json);
    const cJSON *by_login = cJSON_GetObjectItemCaseSensitive(tree, "AllowedEndpointsByLogin");
    int count = cJSON_GetArraySize(by_login);
    cloud_rules *clouds = count > 0 ? calloc((size_t)count, sizeof *clouds) : NULL;
    if (!clouds) {
        cJSON_Delete(tree);
        return;
    }
    size_t n = 0;
    const cJSON *cloud;
    cJSON_ArrayForEach(cloud, by_login) {
        clouds[n].login_endpoint = cloud->string;
        clouds[n].suffixes = cJSON_GetObjectItemCaseSensitive(cloud, "AllowedKustoSuffixes");
        clouds[n].hostnames = cJSON_GetObjectItemCaseSensitive(cloud, "AllowedKustoHostnames");
        n++;
    }
    allow_list.tree = tree;
    allow_list.clouds = clouds;
    allow_list.count = n;
}

/* ---- loopback --------------------------------------------------------------------------------- */

/* "127.d.d.d" with each d a decimal byte. */
static int is_ipv4_loopback(const char *host) {
    if (strncmp(host, "127.", 4) != 0) return 0;
    const char *p = host + 4;
    for (int part = 0; part < 3; part++) {
        int value = 0, digits = 0;
        for (; *p >= '0' && *p <= '9' && digits < 4; p++, digits++) value = value * 10 + (*p - '0');
        if (digits == 0 || digits > 3 || value > 255) return 0;
        if (part < 2 && *p++ != '.') return 0;
    }
    return *p == '\0';
}

int kusto_host_is_loopback(const char *host) {
    if (!host) return 0;
    return kusto_strcasecmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 || strcmp(host, "[::1]") == 0 ||
           is_ipv4_loopback(host);
}

/* ---- matching --------------------------------------------------------------------------------- */

static int ends_with_ci(const char *s, size_t s_len, const char *suffix, size_t suffix_len) {
    return s_len >= suffix_len && strncasecmp(s + s_len - suffix_len, suffix, suffix_len) == 0;
}

/* A rule starting with '.' matches a domain suffix (never the bare domain); any other the whole host. */
static int rule_matches(const char *host, const char *rule, size_t rule_len) {
    size_t host_len = strlen(host);
    if (rule_len == 0) return 0;
    if (rule[0] == '.') return ends_with_ci(host, host_len, rule, rule_len);
    return host_len == rule_len && strncasecmp(host, rule, rule_len) == 0;
}

static int extra_hosts_match(const char *host, const char *extra_hosts) {
    for (const char *p = extra_hosts; p && *p;) {
        p += strspn(p, " \t,");
        size_t len = strcspn(p, ",");
        size_t trimmed = len;
        while (trimmed > 0 && (p[trimmed - 1] == ' ' || p[trimmed - 1] == '\t')) trimmed--;
        if (rule_matches(host, p, trimmed)) return 1;
        p += len;
    }
    return 0;
}

static int list_matches(const char *host, const cJSON *rules, int suffix_rules) {
    const cJSON *rule;
    cJSON_ArrayForEach(rule, rules) {
        const char *text = cJSON_GetStringValue(rule);
        if (!text || (text[0] == '.') != suffix_rules) continue;
        if (rule_matches(host, text, strlen(text))) return 1;
    }
    return 0;
}

/* Login endpoints compare case-insensitively, a trailing '/' ignored. */
static int login_endpoint_equal(const char *a, const char *b) {
    size_t a_len = strlen(a), b_len = strlen(b);
    while (a_len > 0 && a[a_len - 1] == '/') a_len--;
    while (b_len > 0 && b[b_len - 1] == '/') b_len--;
    return a_len == b_len && strncasecmp(a, b, a_len) == 0;
}

/* Other names MSAL knows for a cloud's login host: the same cloud, so the same allow-list. */
static const char *const login_aliases[][2] = {
    {"https://login.windows.net", "https://login.microsoftonline.com"},
    {"https://login.microsoft.com", "https://login.microsoftonline.com"},
    {"https://sts.windows.net", "https://login.microsoftonline.com"},
    {"https://login.usgovcloudapi.net", "https://login.microsoftonline.us"},
    {"https://login.chinacloudapi.cn", "https://login.partner.microsoftonline.cn"},
};

/* The host a login host stands for in login_aliases, or itself. */
static const char *canonical_login_host(const char *host) {
    static const size_t scheme = sizeof "https://" - 1;
    for (size_t i = 0; i < sizeof login_aliases / sizeof *login_aliases; i++)
        if (kusto_strcasecmp(login_aliases[i][0] + scheme, host) == 0) return login_aliases[i][1] + scheme;
    return host;
}

int kusto_login_hosts_same_cloud(const char *a, const char *b) {
    return a && b && kusto_strcasecmp(canonical_login_host(a), canonical_login_host(b)) == 0;
}

static const cloud_rules *cloud_for_login(const char *login_endpoint) {
    for (size_t i = 0; i < sizeof login_aliases / sizeof *login_aliases; i++)
        if (login_endpoint_equal(login_aliases[i][0], login_endpoint)) login_endpoint = login_aliases[i][1];
    for (size_t i = 0; i < allow_list.count; i++)
        if (login_endpoint_equal(allow_list.clouds[i].login_endpoint, login_endpoint)) return &allow_list.clouds[i];
    return NULL;
}

static int trusted_by_cloud(const char *host, const char *login_endpoint) {
    const cloud_rules *cloud = cloud_for_login(login_endpoint);
    return cloud && (list_matches(host, cloud->suffixes, 1) || list_matches(host, cloud->hostnames, 0));
}

static int trusted_by_any_cloud(const char *host) {
    for (size_t i = 0; i < allow_list.count; i++)
        if (trusted_by_cloud(host, allow_list.clouds[i].login_endpoint)) return 1;
    return 0;
}

/* `login_endpoint` NULL: the host may be on any cloud's list. */
static kusto_status check(const char *url, const char *login_endpoint, const char *extra_hosts, kusto_error **err) {
    if (pthread_once(&allow_list_once, allow_list_load) != 0 || !allow_list.tree)
        return kusto_fail(err, KUSTO_E_NOMEM, "cannot load the trusted endpoint list");
    kusto_url parts;
    kusto_status status = kusto_url_parse(&parts, url, "cluster URL", err);
    if (status != KUSTO_OK) return status;
    const char *host = parts.host;
    if (kusto_host_is_loopback(host)) status = KUSTO_OK;
    else if (strcmp(parts.scheme, "https") != 0)
        status = kusto_fail(err, KUSTO_E_UNTRUSTED, "refusing to send a token over plain http to '%s'", host);
    else if (!login_endpoint && !extra_hosts_match(host, extra_hosts) && !trusted_by_any_cloud(host))
        status = kusto_fail(err, KUSTO_E_UNTRUSTED,
                            "can't send a token to '%s': it is not a trusted Kusto endpoint of any known cloud "
                            "(add it with the trusted_hosts option)",
                            host);
    else if (login_endpoint && !extra_hosts_match(host, extra_hosts) && !trusted_by_cloud(host, login_endpoint))
        status = kusto_fail(err, KUSTO_E_UNTRUSTED,
                            "can't send a token to '%s': it is not a trusted Kusto endpoint for login endpoint '%s' "
                            "(add it with the trusted_hosts option)",
                            host, login_endpoint);
    kusto_url_clear(&parts);
    return status;
}

kusto_status kusto_endpoint_check(const char *url, const char *login_endpoint, const char *extra_hosts,
                                  kusto_error **err) {
    return check(url, login_endpoint ? login_endpoint : KUSTO_PUBLIC_LOGIN_ENDPOINT, extra_hosts, err);
}

kusto_status kusto_endpoint_check_any_cloud(const char *url, const char *extra_hosts, kusto_error **err) {
    return check(url, NULL, extra_hosts, err);
}

int kusto_endpoint_login_is_known(const char *login_endpoint) {
    if (pthread_once(&allow_list_once, allow_list_load) != 0 || !allow_list.tree) return 0;
    return cloud_for_login(login_endpoint) != NULL;
}

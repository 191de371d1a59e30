/* Kusto connection strings: keyword table, .NET-style parsing, canonical printing with secrets masked. */
#include "connstr.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"

struct kusto_connstr {
    char *values[KW_COUNT]; /* NULL when unset; secret ones are wiped when replaced or freed */
};

#define ALIASES(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NO_ALIASES ((const char *const[]){NULL})

/* Transcribed from core/data/kcsb.json, in its order (the order of enum kusto_keyword). */
static const kusto_keyword_info keywords[KW_COUNT] = {
    [KW_DATA_SOURCE] = {"Data Source", ALIASES("server", "addr", "address", "networkaddress"), 0, 0},
    [KW_DSTS_FEDERATED_SECURITY] = {"dSTS Federated Security", ALIASES("dstsfed", "dststokentype"), 1, 0},
    [KW_STREAMING] = {"Streaming", NO_ALIASES, 1, 0},
    [KW_UNCOMPRESSED] = {"Uncompressed", NO_ALIASES, 1, 0},
    [KW_ENFORCE_MFA] = {"EnforceMfa", NO_ALIASES, 1, 0},
    [KW_ACCEPT] = {"Accept", NO_ALIASES, 1, 0},
    [KW_QUERY_CONSISTENCY] = {"Query Consistency", NO_ALIASES, 1, 0},
    [KW_PASSWORD] = {"Password", ALIASES("pwd"), 0, 1},
    [KW_DATA_SOURCE_URI] = {"Data Source Uri", ALIASES("serveruri", "clusteruri"), 0, 0},
    [KW_AZURE_REGION] = {"Azure Region", ALIASES("region"), 0, 0},
    [KW_NAMESPACE] = {"Namespace", ALIASES("ns"), 0, 0},
    /* Kusto's table marks it secret, but a certificate's thumbprint is public (it is in every assertion's x5t):
       masking it would only hide which certificate a connection string means. */
    [KW_APPLICATION_CERTIFICATE_THUMBPRINT] = {"Application Certificate Thumbprint", ALIASES("appcert"), 0, 0},
    [KW_APPLICATION_CERTIFICATE_ISSUER] = {"Application Certificate Issuer Distinguished Name",
                                           ALIASES("applicationcertificateissuer"), 0, 1},
    [KW_APPLICATION_CERTIFICATE_SUBJECT] = {"Application Certificate Subject Distinguished Name",
                                            ALIASES("applicationcertificatesubject"), 0, 1},
    [KW_APPLICATION_TOKEN] = {"Application Token", ALIASES("apptoken"), 0, 1},
    [KW_USER_TOKEN] = {"User Token", ALIASES("usrtoken"), 0, 1},
    [KW_APPLICATION_KEY] = {"Application Key", ALIASES("appkey"), 0, 1},
    [KW_APPLICATION_CERTIFICATE_BLOB] = {"Application Certificate Blob", NO_ALIASES, 0, 1},
    [KW_APPLICATION_CERTIFICATE_SEND_X5C] = {"Application Certificate SendX5c",
                                             ALIASES("applicationcertificatex5c", "sendx5c",
                                                     "applicationcertificatesendpubliccertificate",
                                                     "sendcertificatechain"),
                                             1, 0},
    [KW_USER_ID] = {"User ID", ALIASES("user", "uid", "loginhint", "aaduserid"), 0, 0},
    [KW_INITIAL_CATALOG] = {"Initial Catalog", ALIASES("database"), 0, 0},
    [KW_AAD_FEDERATED_SECURITY] = {"AAD Federated Security", ALIASES("federatedsecurity", "aadfed", "fed", "federated"),
                                   1, 0},
    [KW_AUTHORITY_ID] = {"Authority Id", ALIASES("tenantid", "tid", "tenant", "authority", "domainhint"), 0, 0},
    [KW_APPLICATION_NAME_FOR_TRACING] = {"Application Name for Tracing", ALIASES("traceappname"), 0, 0},
    [KW_USER_NAME_FOR_TRACING] = {"User Name for Tracing", ALIASES("traceusername"), 0, 0},
    [KW_APPLICATION_CLIENT_ID] = {"Application Client Id", ALIASES("appclientid"), 0, 0},
};

/* Option names (kusto_options_set) that are not spelled like a keyword or alias. */
static const struct {
    const char *name;
    kusto_keyword kw;
} option_names[] = {
    {"client_id", KW_APPLICATION_CLIENT_ID},
    {"client_secret", KW_APPLICATION_KEY},
    {"cluster", KW_DATA_SOURCE},
};

static const char MASK[] = "****";

const kusto_keyword_info *kusto_keyword_get(kusto_keyword kw) { return (unsigned)kw < KW_COUNT ? &keywords[kw] : NULL; }

static int is_ignored_in_name(char c) { return c == ' ' || c == '\t' || c == '_'; }

static char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }

/* Equal when only case, spaces and '_' differ. */
static int names_equal(const char *a, const char *b) {
    for (;;) {
        while (is_ignored_in_name(*a)) a++;
        while (is_ignored_in_name(*b)) b++;
        if (ascii_lower(*a) != ascii_lower(*b)) return 0;
        if (!*a) return 1;
        a++, b++;
    }
}

int kusto_keyword_lookup(const char *name) {
    if (!name) return -1;
    for (int kw = 0; kw < KW_COUNT; kw++) {
        if (names_equal(name, keywords[kw].name)) return kw;
        for (const char *const *alias = keywords[kw].aliases; *alias; alias++)
            if (names_equal(name, *alias)) return kw;
    }
    for (size_t i = 0; i < sizeof option_names / sizeof *option_names; i++)
        if (names_equal(name, option_names[i].name)) return (int)option_names[i].kw;
    return -1;
}

kusto_connstr *kusto_connstr_new_empty(void) { return calloc(1, sizeof(kusto_connstr)); }

static void value_free(kusto_keyword kw, char *value) {
    if (keywords[kw].is_secret) kusto_secret_free(value);
    else free(value);
}

/* Takes ownership of `value` (NULL unsets). */
static void value_replace(kusto_connstr *cs, kusto_keyword kw, char *value) {
    value_free(kw, cs->values[kw]);
    cs->values[kw] = value;
}

void kusto_connstr_free(kusto_connstr *cs) {
    if (!cs) return;
    for (int kw = 0; kw < KW_COUNT; kw++) value_free((kusto_keyword)kw, cs->values[kw]);
    free(cs);
}

/* 1 true, 0 false, -1 not a boolean. */
static int parse_bool(const char *text) {
    static const char *const truths[] = {"true", "yes", "1"}, *const falsehoods[] = {"false", "no", "0"};
    for (size_t i = 0; i < 3; i++) {
        if (kusto_strcasecmp(text, truths[i]) == 0) return 1;
        if (kusto_strcasecmp(text, falsehoods[i]) == 0) return 0;
    }
    return -1;
}

/* Where the path of "scheme://authority/path" starts, or NULL when `url` has no "://". */
static char *url_path_start(char *url) {
    char *authority = strstr(url, "://");
    return authority ? authority + 3 + strcspn(authority + 3, "/?#") : NULL;
}

/* Data Source: drop trailing '/'; a one-segment path is the database when none is set yet. Takes
   ownership of `url`. */
static kusto_status set_data_source(kusto_connstr *cs, char *url, kusto_error **err) {
    char *path = url_path_start(url);
    char *end = url + strlen(url);
    char *floor = path ? path : url;
    while (end > floor && end[-1] == '/') *--end = '\0';
    if (path && *path == '/' && path[1] && !strpbrk(path + 1, "/?#") && !cs->values[KW_INITIAL_CATALOG]) {
        char *db = kusto_strdup(path + 1);
        if (!db) {
            free(url);
            return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
        }
        *path = '\0';
        value_replace(cs, KW_INITIAL_CATALOG, db);
    }
    value_replace(cs, KW_DATA_SOURCE, url);
    return KUSTO_OK;
}

/* Stores `value` (taken over; freed or wiped on failure) under `kw`. An empty value unsets. */
static kusto_status set_owned(kusto_connstr *cs, kusto_keyword kw, char *value, kusto_error **err) {
    const kusto_keyword_info *info = &keywords[kw];
    if (!value || !*value) {
        value_free(kw, value);
        value_replace(cs, kw, NULL);
        return KUSTO_OK;
    }
    if (info->is_bool) {
        int truth = parse_bool(value);
        kusto_status status = KUSTO_OK;
        if (truth < 0)
            status = kusto_fail(err, KUSTO_E_CONNSTR,
                                "connection string keyword '%s' expects a boolean (true/false), got '%s'", info->name,
                                info->is_secret ? MASK : value);
        value_free(kw, value);
        if (status != KUSTO_OK) return status;
        value = kusto_strdup(truth ? "True" : "False");
        if (!value) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    if (kw == KW_DATA_SOURCE) return set_data_source(cs, value, err);
    value_replace(cs, kw, value);
    return KUSTO_OK;
}

kusto_status kusto_connstr_set(kusto_connstr *cs, const char *name, const char *value, kusto_error **err) {
    if (!cs || !name) return kusto_fail(err, KUSTO_E_ARGUMENT, "kusto_connstr_set: no connection string or name");
    int kw = kusto_keyword_lookup(name);
    if (kw < 0) return kusto_fail(err, KUSTO_E_CONNSTR, "unknown connection string keyword '%s'", name);
    char *copy = NULL;
    if (value) {
        size_t start = 0, len = strlen(value);
        while (start < len && (value[start] == ' ' || value[start] == '\t')) start++;
        while (len > start && (value[len - 1] == ' ' || value[len - 1] == '\t')) len--;
        copy = kusto_strndup(value + start, len - start);
        if (!copy) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    return set_owned(cs, (kusto_keyword)kw, copy, err);
}

const char *kusto_connstr_value(const kusto_connstr *cs, kusto_keyword kw) {
    return cs && (unsigned)kw < KW_COUNT ? cs->values[kw] : NULL;
}

int kusto_connstr_flag(const kusto_connstr *cs, kusto_keyword kw) {
    const char *value = kusto_connstr_value(cs, kw);
    return value && strcmp(value, "True") == 0;
}

const char *kusto_connstr_get(const kusto_connstr *cs, const char *keyword) {
    int kw = kusto_keyword_lookup(keyword);
    return kw < 0 ? NULL : kusto_connstr_value(cs, (kusto_keyword)kw);
}

int kusto_connstr_entry(const kusto_connstr *cs, size_t index, const char **keyword, const char **value, int unmasked) {
    if (!cs) return 0;
    for (int kw = 0; kw < KW_COUNT; kw++) {
        if (!cs->values[kw] || index-- > 0) continue;
        if (keyword) *keyword = keywords[kw].name;
        if (value) *value = keywords[kw].is_secret && !unmasked ? MASK : cs->values[kw];
        return 1;
    }
    return 0;
}

static int needs_quotes(const char *value) {
    size_t len = strlen(value);
    return strpbrk(value, ";\"'") ||
           (len > 0 && (value[0] == ' ' || value[0] == '\t' || value[len - 1] == ' ' || value[len - 1] == '\t'));
}

static int append_quoted(kusto_buf *b, const char *value) {
    int failed = kusto_buf_puts(b, "\"");
    for (const char *p = value; *p && !failed; p++) failed = kusto_buf_puts(b, *p == '"' ? "\"\"" : (char[]){*p, '\0'});
    return failed || kusto_buf_puts(b, "\"");
}

char *kusto_connstr_to_string(const kusto_connstr *cs) {
    if (!cs) return NULL;
    kusto_buf b = {0};
    const char *keyword, *value;
    int failed = kusto_buf_puts(&b, "");
    for (size_t i = 0; !failed && kusto_connstr_entry(cs, i, &keyword, &value, 0); i++) {
        failed = (i > 0 && kusto_buf_puts(&b, ";")) || kusto_buf_printf(&b, "%s=", keyword) ||
                 (needs_quotes(value) ? append_quoted(&b, value) : kusto_buf_puts(&b, value));
    }
    if (failed) {
        kusto_buf_free(&b);
        return NULL;
    }
    return kusto_buf_take(&b);
}

/* ---- parsing ---------------------------------------------------------------------------------- */

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static const char *skip_spaces(const char *p) {
    while (is_space(*p)) p++;
    return p;
}

/* A copy of [start, end) without surrounding white space. */
static char *trimmed_copy(const char *start, const char *end) {
    start = skip_spaces(start);
    while (end > start && is_space(end[-1])) end--;
    return kusto_strndup(start, (size_t)(end - start));
}

/* A value wholly in quotes, starting at the quote `*p`; a doubled quote inside stands for one.
   On success *p is left after the closing quote. NULL when unterminated (or out of memory: *nomem).
   Sized once up front so no partial copy of a secret is left behind by a realloc. */
static char *unquote(const char **p, int *nomem) {
    char quote = **p;
    const char *q = *p + 1;
    char *value = malloc(strlen(q) + 1), *out = value;
    if (!value) {
        *nomem = 1;
        return NULL;
    }
    for (; *q && !(*q == quote && q[1] != quote); q++) {
        if (*q == quote) q++;
        *out++ = *q;
    }
    *out = '\0';
    if (!*q) {
        kusto_secret_free(value);
        return NULL;
    }
    *p = q + 1;
    return value;
}

/* Reads the value of `kw` at *p (just after '='), up to ';' or the end, and leaves *p there. */
static kusto_status read_value(const char **p, kusto_keyword kw, char **out, kusto_error **err) {
    const char *start = skip_spaces(*p);
    const char *name = keywords[kw].name;
    if (*start != '"' && *start != '\'') {
        const char *end = start + strcspn(start, ";");
        *out = trimmed_copy(start, end);
        *p = end;
        return *out ? KUSTO_OK : kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    int nomem = 0;
    const char *after = start;
    *out = unquote(&after, &nomem);
    if (nomem) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    if (!*out)
        return kusto_fail(err, KUSTO_E_CONNSTR, "unterminated quote in the value of connection string keyword '%s'",
                          name);
    after = skip_spaces(after);
    if (*after && *after != ';') {
        value_free(kw, *out);
        *out = NULL;
        return kusto_fail(err, KUSTO_E_CONNSTR,
                          "unexpected text after the quoted value of connection string keyword '%s'", name);
    }
    *p = after;
    return KUSTO_OK;
}

/* One "key=value" pair at *p; leaves *p at the ';' or end that follows. */
static kusto_status parse_pair(kusto_connstr *cs, const char **p, size_t segment, kusto_error **err) {
    const char *start = *p;
    const char *stop = start + strcspn(start, "=;");
    if (*stop != '=') {
        *p = stop;
        if (segment == 0) {
            char *url = trimmed_copy(start, stop);
            return url ? set_owned(cs, KW_DATA_SOURCE, url, err) : kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
        }
        /* The text may be the tail of a secret that held a ';': don't echo it. */
        return kusto_fail(err, KUSTO_E_CONNSTR,
                          "malformed connection string: segment %zu has no '=' (quote values that contain ';')",
                          segment + 1);
    }
    char *key = trimmed_copy(start, stop);
    if (!key) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    int kw = kusto_keyword_lookup(key);
    kusto_status status = kw >= 0 ? KUSTO_OK
                                  : kusto_fail(err, KUSTO_E_CONNSTR, "unknown connection string keyword '%s'", key);
    free(key);
    if (status != KUSTO_OK) return status;
    char *value = NULL;
    *p = stop + 1;
    status = read_value(p, (kusto_keyword)kw, &value, err);
    return status == KUSTO_OK ? set_owned(cs, (kusto_keyword)kw, value, err) : status;
}

kusto_status kusto_connstr_parse(kusto_connstr **out, const char *text, kusto_error **err) {
    if (!out || !text) return kusto_fail(err, KUSTO_E_ARGUMENT, "kusto_connstr_parse: no output or text");
    *out = NULL;
    kusto_connstr *cs = kusto_connstr_new_empty();
    if (!cs) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    const char *p = text;
    kusto_status status = KUSTO_OK;
    for (size_t segment = 0; status == KUSTO_OK && *p; segment++) {
        p = skip_spaces(p);
        if (*p != ';' && *p) status = parse_pair(cs, &p, segment, err);
        if (*p == ';') p++;
    }
    if (status != KUSTO_OK) {
        kusto_connstr_free(cs);
        return status;
    }
    *out = cs;
    return KUSTO_OK;
}

/* Application certificate (PEM, PFX), on-behalf-of and username/password sign-in, end to end against a
   running emulator (see dev.sh): statuses, what the token is for, and what Azure AD received. */
#include <curl/curl.h>
#include <openssl/evp.h>

#include "check.h"
#include "e2e.h"
#include "kusto.h"

#define JWT_BEARER "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#define KUSTO_PUBLIC_CLIENT_ID "db662dc1-0cfe-4e1c-a843-19a68e65be58"
#define WRONG_PASSWORD "Wr0ng-Passw0rd-e2e"

/* ---- helpers ------------------------------------------------------------------------------------- */

static const char *token_path(void) {
    static char path[200];
    snprintf(path, sizeof path, "/%s/oauth2/v2.0/token", cfg("tenant"));
    return path;
}

/* The last token request the emulator received (the caller deletes it), or NULL. */
static cJSON *last_token_request(void) {
    cJSON *all = requests(token_path());
    int n = cJSON_GetArraySize(all);
    cJSON *last = n ? cJSON_DetachItemFromArray(all, n - 1) : NULL;
    cJSON_Delete(all);
    return last;
}

static const char *field(const cJSON *record, const char *object, const char *key) {
    return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(record, object), key));
}

static const char *assertion_header(const cJSON *record, const char *key) {
    return cJSON_GetStringValue(
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(record, "client_assertion"), "header"), key));
}

/* base64url text → bytes; the length in *len. The caller frees. */
static unsigned char *b64url_decode(const char *text, size_t n, int *len) {
    char *std = calloc(1, n + 4);
    unsigned char *out = calloc(1, n + 4);
    size_t i;
    for (i = 0; i < n; i++) std[i] = text[i] == '-' ? '+' : text[i] == '_' ? '/' : text[i];
    while (i % 4) std[i++] = '=';
    *len = EVP_DecodeBlock(out, (unsigned char *)std, (int)i);
    if (*len > 0) *len -= (int)(n % 4 == 2 ? 2 : n % 4 == 3 ? 1 : 0);
    free(std);
    return out;
}

/* The claims of a JWT access token (the caller deletes them). */
static cJSON *claims_of(const char *jwt) {
    const char *start = strchr(jwt, '.'), *end = start ? strchr(start + 1, '.') : NULL;
    if (!end) return NULL;
    int len = 0;
    unsigned char *json = b64url_decode(start + 1, (size_t)(end - start - 1), &len);
    cJSON *claims = len > 0 ? cJSON_ParseWithLength((const char *)json, (size_t)len) : NULL;
    free(json);
    return claims;
}

/* A header x5t (base64url SHA-1) as lower-case hex, to compare with the configuration's cert_thumbprint. */
static void x5t_hex(const char *x5t, char hex[41]) {
    int len = 0;
    unsigned char *digest = b64url_decode(x5t ? x5t : "", x5t ? strlen(x5t) : 0, &len);
    hex[0] = '\0';
    for (int i = 0; i < len && i < 20; i++) snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    free(digest);
}

static int aud_is_resource(const cJSON *claims) {
    const char *aud = cJSON_GetStringValue(cJSON_GetObjectItem(claims, "aud"));
    size_t n = strlen(cfg("resource"));
    return aud && strncmp(aud, cfg("resource"), n) == 0 && (aud[n] == '\0' || strcmp(aud + n, "/") == 0);
}

static char *connstr(const char *extra) {
    static char text[4000];
    snprintf(text, sizeof text, "Data Source=%s;Initial Catalog=%s;AAD Federated Security=True%s", cfg("cluster"),
             cfg("database"), extra);
    return text;
}

static char *cert_connstr(const char *extra) {
    static char text[1000];
    snprintf(text, sizeof text, ";Application Client Id=%s%s", cfg("cert_client_id"), extra);
    return connstr(text);
}

/* kusto_acquire_token with the emulator's CA and authority and up to two more options (NULL-terminated pairs). */
static kusto_status acquire(const char *cs, kusto_token **out, kusto_error **err, const char *n1, const char *v1,
                            const char *n2, const char *v2) {
    kusto_options *opts = NULL;
    kusto_options_new(&opts);
    kusto_options_set(opts, "ca_file", cfg("ca_file"));
    kusto_options_set(opts, "authority", cfg("authority"));
    if (n1) kusto_options_set(opts, n1, v1);
    if (n2) kusto_options_set(opts, n2, v2);
    *out = NULL;
    kusto_status status = kusto_acquire_token(out, cs, opts, err);
    kusto_options_free(opts);
    return status;
}

static size_t collect(char *data, size_t size, size_t n, void *ud) {
    cJSON *body = ud; /* a string item grown by each chunk */
    size_t old = strlen(body->valuestring), add = size * n;
    char *grown = realloc(body->valuestring, old + add + 1);
    if (!grown) return 0;
    memcpy(grown + old, data, add);
    grown[old + add] = '\0';
    body->valuestring = grown;
    return add;
}

/* What a user's client sends to a middle tier: the user's token for api://<client_id> (the caller frees). */
static char *user_token_for(const char *client_id) {
    CURL *h = curl_easy_init();
    char *user = curl_easy_escape(h, cfg("user"), 0), *password = curl_easy_escape(h, cfg("password"), 0);
    char form[2000], url[500];
    snprintf(form, sizeof form,
             "grant_type=password&client_id=%s&username=%s&password=%s&scope=api%%3A%%2F%%2F%s"
             "%%2F.default+openid+profile+offline_access",
             KUSTO_PUBLIC_CLIENT_ID, user, password, client_id);
    snprintf(url, sizeof url, "%s/oauth2/v2.0/token", cfg("authority"));
    cJSON *body = cJSON_CreateString("");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CAINFO, cfg("ca_file"));
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
    CURLcode rc = curl_easy_perform(h);
    cJSON *answer = rc == CURLE_OK ? cJSON_Parse(body->valuestring) : NULL;
    const char *token = cJSON_GetStringValue(cJSON_GetObjectItem(answer, "access_token"));
    char *copy = token ? strdup(token) : NULL;
    cJSON_Delete(answer);
    cJSON_Delete(body);
    curl_free(user);
    curl_free(password);
    curl_easy_cleanup(h);
    return copy;
}

/* ---- application certificate --------------------------------------------------------------------- */

static void check_app_token(kusto_token *token) {
    CHECK_STR(kusto_token_type(token), "Bearer");
    CHECK_STR(kusto_token_resource(token), cfg("resource"));
    cJSON *claims = token ? claims_of(kusto_token_access_token(token)) : NULL;
    CHECK(aud_is_resource(claims));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(claims, "appid")), cfg("cert_client_id"));
    cJSON_Delete(claims);
}

static void check_certificate_request(const cJSON *request) {
    CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(request, "status")), 200);
    CHECK_STR(field(request, "form", "grant_type"), "client_credentials");
    CHECK_STR(field(request, "form", "client_id"), cfg("cert_client_id"));
    CHECK_STR(field(request, "form", "client_assertion_type"), JWT_BEARER);
    CHECK_STR(field(request, "form", "client_assertion"), "<redacted>");
    CHECK(field(request, "form", "client_secret") == NULL);
    CHECK_STR(assertion_header(request, "typ"), "JWT");
    char aud[600];
    snprintf(aud, sizeof aud, "%s/oauth2/v2.0/token", cfg("authority"));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
                  cJSON_GetObjectItem(cJSON_GetObjectItem(request, "client_assertion"), "claims"), "aud")),
              aud);
}

static void test_certificate_pem(void) {
    kusto_token *token = NULL;
    CHECK_INT(acquire(cert_connstr(""), &token, NULL, "certificate_path", cfg("cert_pem_file"), NULL, NULL), KUSTO_OK);
    check_app_token(token);
    kusto_token_free(token);
    cJSON *request = last_token_request();
    check_certificate_request(request);
    CHECK_STR(assertion_header(request, "alg"), "RS256");
    char hex[41];
    x5t_hex(assertion_header(request, "x5t"), hex);
    CHECK_STR(hex, cfg("cert_thumbprint"));
    CHECK(assertion_header(request, "x5c") == NULL);
    cJSON_Delete(request);
}

static void test_certificate_pfx(void) {
    kusto_token *token = NULL;
    CHECK_INT(acquire(cert_connstr(""), &token, NULL, "certificate_path", cfg("cert_pfx_file"), "certificate_password",
                      cfg("cert_pfx_password")),
              KUSTO_OK);
    check_app_token(token);
    kusto_token_free(token);
    cJSON *request = last_token_request();
    check_certificate_request(request);
    CHECK_STR(assertion_header(request, "alg"), "PS256");
    CHECK(assertion_header(request, "x5t#S256") && strlen(assertion_header(request, "x5t#S256")) == 43);
    CHECK(assertion_header(request, "x5t") == NULL);
    cJSON_Delete(request);
}

static void test_certificate_wrong_password(void) {
    int before = requests_to(token_path());
    kusto_token *token = NULL;
    kusto_error *err = NULL;
    CHECK_INT(acquire(cert_connstr(""), &token, &err, "certificate_path", cfg("cert_pfx_file"), "certificate_password",
                      WRONG_PASSWORD),
              KUSTO_E_ARGUMENT);
    const char *message = err ? kusto_error_message(err) : "";
    CHECK(strstr(message, cfg("cert_pfx_file")) != NULL);
    CHECK(strstr(message, "certificate_password") != NULL);
    CHECK(strstr(message, WRONG_PASSWORD) == NULL);
    CHECK(token == NULL);
    CHECK_INT(requests_to(token_path()), before);
    kusto_error_free(err);
}

static void test_certificate_thumbprint_mismatch(void) {
    int before = requests_to(token_path());
    kusto_token *token = NULL;
    kusto_error *err = NULL;
    CHECK_INT(acquire(cert_connstr(";Application Certificate Thumbprint=abababababababababababababababababababab"),
                      &token, &err, "certificate_path", cfg("cert_pem_file"), NULL, NULL),
              KUSTO_E_ARGUMENT);
    CHECK(err && strstr(kusto_error_message(err), "does not match") != NULL);
    CHECK(err && strstr(kusto_error_message(err), cfg("cert_thumbprint")) != NULL);
    CHECK_INT(requests_to(token_path()), before);
    kusto_error_free(err);
}

/* ---- on-behalf-of -------------------------------------------------------------------------------- */

static void check_on_behalf_of_request(const cJSON *request) {
    char scope[600];
    snprintf(scope, sizeof scope, "%s/.default offline_access openid profile", cfg("resource"));
    CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(request, "status")), 200);
    CHECK_STR(field(request, "form", "grant_type"), "urn:ietf:params:oauth:grant-type:jwt-bearer");
    CHECK_STR(field(request, "form", "requested_token_use"), "on_behalf_of");
    CHECK_STR(field(request, "form", "assertion"), "<redacted>");
    CHECK_STR(field(request, "form", "scope"), scope);
}

static void check_user_token(kusto_token *token) {
    CHECK_STR(kusto_token_resource(token), cfg("resource"));
    cJSON *claims = token ? claims_of(kusto_token_access_token(token)) : NULL;
    CHECK(aud_is_resource(claims));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(claims, "upn")), cfg("user"));
    cJSON_Delete(claims);
}

/* Signs in on behalf of the user with the app `client_id` (its credential in `cs`, or `certificate_path`);
   checks the token and the request, and returns the request (the caller deletes it). */
static cJSON *on_behalf_of(const char *client_id, const char *cs, const char *certificate_path) {
    char *assertion = user_token_for(client_id);
    CHECK(assertion != NULL);
    if (!assertion) return NULL;
    kusto_token *token = NULL;
    CHECK_INT(acquire(cs, &token, NULL, "user_assertion", assertion, certificate_path ? "certificate_path" : NULL,
                      certificate_path),
              KUSTO_OK);
    check_user_token(token);
    kusto_token_free(token);
    free(assertion);
    cJSON *request = last_token_request();
    check_on_behalf_of_request(request);
    return request;
}

static void test_on_behalf_of_with_secret(void) {
    cJSON *request = on_behalf_of(cfg("client_id"), cfg("connection_string"), NULL);
    CHECK_STR(field(request, "form", "client_secret"), "<redacted>");
    cJSON_Delete(request);
}

static void test_on_behalf_of_with_certificate(void) {
    cJSON *request = on_behalf_of(cfg("cert_client_id"), cert_connstr(""), cfg("cert_pem_file"));
    CHECK_STR(field(request, "form", "client_assertion_type"), JWT_BEARER);
    CHECK_STR(assertion_header(request, "alg"), "RS256");
    cJSON_Delete(request);
}

/* ---- username and password ----------------------------------------------------------------------- */

static char *user_connstr(const char *password) {
    static char extra[600];
    snprintf(extra, sizeof extra, ";User ID=%s;Password=%s", cfg("user"), password);
    return connstr(extra);
}

static void test_user_password(void) {
    kusto_token *token = NULL;
    CHECK_INT(acquire(user_connstr(cfg("password")), &token, NULL, NULL, NULL, NULL, NULL), KUSTO_OK);
    check_user_token(token);
    kusto_token_free(token);
    cJSON *request = last_token_request();
    char anchor[300];
    snprintf(anchor, sizeof anchor, "upn:%s", cfg("user"));
    CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(request, "status")), 200);
    CHECK_STR(field(request, "form", "grant_type"), "password");
    CHECK_STR(field(request, "form", "client_id"), KUSTO_PUBLIC_CLIENT_ID);
    CHECK_STR(field(request, "form", "username"), cfg("user"));
    CHECK_STR(field(request, "form", "password"), "<redacted>");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(request, "anchor_mailbox")), anchor);
    cJSON_Delete(request);
}

static void test_user_bad_password(void) {
    kusto_token *token = NULL;
    kusto_error *err = NULL;
    CHECK_INT(acquire(user_connstr(WRONG_PASSWORD), &token, &err, NULL, NULL, NULL, NULL), KUSTO_E_AUTH);
    CHECK_INT(kusto_error_aadsts(err), 50126);
    CHECK_STR(kusto_error_code(err), "invalid_grant");
    CHECK(err && strstr(kusto_error_message(err), WRONG_PASSWORD) == NULL);
    CHECK(err && strstr(kusto_error_message(err), cfg("password")) == NULL);
    kusto_error_free(err);
}

/* Nothing the tests sent in clear reached the emulator's log. */
static void test_no_secret_in_the_log(void) {
    char *log = read_file(getenv("KUSTO_EMULATOR_LOG"));
    CHECK(log != NULL);
    const char *secrets[] = {cfg("password"), cfg("cert_pfx_password"), cfg("client_secret"), WRONG_PASSWORD};
    for (size_t i = 0; log && i < sizeof secrets / sizeof *secrets; i++) CHECK(strstr(log, secrets[i]) == NULL);
    free(log);
}

int main(void) {
    if (load_config()) return 1;
    test_certificate_pem();
    test_certificate_pfx();
    test_certificate_wrong_password();
    test_certificate_thumbprint_mismatch();
    test_on_behalf_of_with_secret();
    test_on_behalf_of_with_certificate();
    test_user_password();
    test_user_bad_password();
    test_no_secret_in_the_log();
    cJSON_Delete(config);
    CHECK_DONE();
}

/* core/src/authority.c: authority URL and tenant, AadAuthorityUri, the resource of a cluster. */
#include <stdlib.h>
#include <string.h>

#include "authority.h"
#include "check.h"
#include "error.h"

/* Resolves and checks the three fields (NULL expected values mean "must fail"). */
static void expect(const char *authority_url, const char *authority_id, const char *url, const char *login,
                   const char *tenant) {
    kusto_authority a;
    kusto_error *err = NULL;
    kusto_status status = kusto_authority_resolve(&a, authority_url, authority_id, &err);
    CHECK_INT(status, KUSTO_OK);
    if (err) fprintf(stderr, "  unexpected error: %s\n", kusto_error_message(err));
    CHECK_STR(a.url, url);
    CHECK_STR(a.login_endpoint, login);
    CHECK_STR(a.tenant, tenant);
    kusto_authority_clear(&a);
    kusto_error_free(err);
}

static void expect_failure(const char *authority_url, const char *authority_id, kusto_status expected,
                           const char *message) {
    kusto_authority a;
    kusto_error *err = NULL;
    CHECK_INT(kusto_authority_resolve(&a, authority_url, authority_id, &err), expected);
    CHECK(a.url == NULL && a.login_endpoint == NULL && a.tenant == NULL);
    CHECK_INT(kusto_error_status(err), expected);
    if (message) CHECK_STR(kusto_error_message(err), message);
    kusto_error_free(err);
}

static void test_defaults(void) {
    unsetenv("AadAuthorityUri");
    expect(NULL, NULL, "https://login.microsoftonline.com/organizations", "https://login.microsoftonline.com",
           "organizations");
    expect("", "", "https://login.microsoftonline.com/organizations", "https://login.microsoftonline.com",
           "organizations");
    expect(NULL, "contoso.com", "https://login.microsoftonline.com/contoso.com", "https://login.microsoftonline.com",
           "contoso.com");
    expect(NULL, "72f988bf-86f1-41af-91ab-2d7cd011db47",
           "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47",
           "https://login.microsoftonline.com", "72f988bf-86f1-41af-91ab-2d7cd011db47");
    expect(NULL, "common", "https://login.microsoftonline.com/common", "https://login.microsoftonline.com", "common");
}

static void test_full_url(void) {
    unsetenv("AadAuthorityUri");
    /* The "authority" option wins over Authority Id. */
    expect("https://login.microsoftonline.us/contoso.us/", "ignored.com", "https://login.microsoftonline.us/contoso.us",
           "https://login.microsoftonline.us", "contoso.us");
    expect("HTTPS://Login.MicrosoftOnline.com", NULL, "https://login.microsoftonline.com/organizations",
           "https://login.microsoftonline.com", "organizations");
    expect("https://login.example.com:8443/t1", NULL, "https://login.example.com:8443/t1",
           "https://login.example.com:8443", "t1");
    /* Authority Id may itself be a full URL. */
    expect(NULL, "https://login.partner.microsoftonline.cn/contoso.cn",
           "https://login.partner.microsoftonline.cn/contoso.cn", "https://login.partner.microsoftonline.cn",
           "contoso.cn");
    /* The emulator: http to loopback. */
    expect("http://127.0.0.1:5000/tenant-1", NULL, "http://127.0.0.1:5000/tenant-1", "http://127.0.0.1:5000",
           "tenant-1");
    expect("http://[::1]:5000/t", NULL, "http://[::1]:5000/t", "http://[::1]:5000", "t");
    expect("http://localhost:5000/t", NULL, "http://localhost:5000/t", "http://localhost:5000", "t");
}

static void test_rejections(void) {
    unsetenv("AadAuthorityUri");
    expect_failure("http://login.microsoftonline.com/contoso.com", NULL, KUSTO_E_UNTRUSTED,
                   "refusing to use the authority option over plain http ('login.microsoftonline.com'): https is "
                   "required");
    expect_failure(NULL, "http://login.evil.com/t", KUSTO_E_UNTRUSTED, NULL);
    expect_failure("ftp://login.microsoftonline.com/t", NULL, KUSTO_E_ARGUMENT, NULL);
    expect_failure("login.microsoftonline.com/t", NULL, KUSTO_E_ARGUMENT, NULL);
    expect_failure("https://login.microsoftonline.com/a/b", NULL, KUSTO_E_ARGUMENT,
                   "the authority option must be https://host/tenant, got the path '/a/b'");
    expect_failure("https://login.microsoftonline.com/t?x=1", NULL, KUSTO_E_ARGUMENT,
                   "the authority option must not have a query or fragment");
    expect_failure(NULL, "contoso.com/../x", KUSTO_E_ARGUMENT,
                   "invalid tenant 'contoso.com/../x' in Authority Id: expected a tenant id or domain");
    expect_failure(NULL, "a b", KUSTO_E_ARGUMENT, NULL);
    expect_failure(NULL, "t?x", KUSTO_E_ARGUMENT, NULL);
    expect_failure(NULL, "t#x", KUSTO_E_ARGUMENT, NULL);
    expect_failure(NULL, "..", KUSTO_E_ARGUMENT, NULL);
    expect_failure(NULL, "a\\b", KUSTO_E_ARGUMENT, NULL);
}

static void test_environment(void) {
    setenv("AadAuthorityUri", "https://login.microsoftonline.us/", 1);
    expect(NULL, "contoso.us", "https://login.microsoftonline.us/contoso.us", "https://login.microsoftonline.us",
           "contoso.us");
    expect(NULL, NULL, "https://login.microsoftonline.us/organizations", "https://login.microsoftonline.us",
           "organizations");
    /* An explicit authority URL still wins over the environment. */
    expect("https://login.microsoftonline.com/x", NULL, "https://login.microsoftonline.com/x",
           "https://login.microsoftonline.com", "x");

    setenv("AadAuthorityUri", "https://adfs.contoso.com/adfs", 1);
    expect(NULL, "t", "https://adfs.contoso.com/adfs/t", "https://adfs.contoso.com", "t");

    setenv("AadAuthorityUri", "http://127.0.0.1:9999", 1);
    expect(NULL, "t", "http://127.0.0.1:9999/t", "http://127.0.0.1:9999", "t");

    setenv("AadAuthorityUri", "http://login.evil.com", 1);
    expect_failure(NULL, "t", KUSTO_E_UNTRUSTED,
                   "refusing to use the AadAuthorityUri environment variable over plain http ('login.evil.com'): "
                   "https is required");
    setenv("AadAuthorityUri", "not a url", 1);
    expect_failure(NULL, "t", KUSTO_E_ARGUMENT, NULL);

    setenv("AadAuthorityUri", "", 1);
    expect(NULL, "t", "https://login.microsoftonline.com/t", "https://login.microsoftonline.com", "t");
    unsetenv("AadAuthorityUri");
}

static void test_token_endpoint(void) {
    kusto_authority a;
    CHECK_INT(kusto_authority_resolve(&a, NULL, "contoso.com", NULL), KUSTO_OK);
    char *endpoint = kusto_authority_token_endpoint(&a);
    CHECK_STR(endpoint, "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token");
    free(endpoint);
    kusto_authority_clear(&a);
    kusto_authority_clear(&a);
    kusto_authority_clear(NULL);
    CHECK(kusto_authority_token_endpoint(NULL) == NULL);
}

static void expect_resource(const char *cluster, const char *resource) {
    char *out = (char *)"unset";
    kusto_error *err = NULL;
    kusto_status status = kusto_resource_for_cluster(&out, cluster, &err);
    CHECK_INT(status, resource ? KUSTO_OK : KUSTO_E_ARGUMENT);
    CHECK_STR(out, resource);
    CHECK(resource ? err == NULL : kusto_error_status(err) == KUSTO_E_ARGUMENT);
    free(out);
    kusto_error_free(err);
}

static void test_resource(void) {
    expect_resource("https://help.kusto.windows.net", "https://help.kusto.windows.net");
    expect_resource("https://Help.Kusto.Windows.Net:443/Samples/", "https://help.kusto.windows.net");
    expect_resource("https://ade.loganalytics.io/subscriptions/1/resourcegroups/r", "https://ade.loganalytics.io");
    expect_resource("http://127.0.0.1:8080/", "http://127.0.0.1");
    expect_resource("http://[::1]:8080", "http://[::1]");
    expect_resource("help.kusto.windows.net", NULL);
    expect_resource("ftp://help.kusto.windows.net", NULL);
    expect_resource(NULL, NULL);
}

int main(void) {
    test_defaults();
    test_full_url();
    test_rejections();
    test_environment();
    test_token_endpoint();
    test_resource();
    CHECK_DONE();
}

/* core/src/oidc.c: which authorities are discovered, where the document is, and what of it is accepted. */
#include <stdlib.h>
#include <string.h>

#include "authority.h"
#include "check.h"
#include "error.h"
#include "oidc.h"

#define DOC(token, authorize, device)                                                  \
    "{\"issuer\":\"https://adfs.contoso.test/adfs\",\"token_endpoint\":\"" token "\"," \
    "\"authorization_endpoint\":\"" authorize "\"" device ",\"jwks_uri\":\"https://adfs.contoso.test/k\"}"

static void authority(kusto_authority *a, const char *url) {
    CHECK_INT(kusto_authority_resolve(a, url, NULL, NULL), KUSTO_OK);
}

static kusto_status parse(kusto_authority *a, const char *body, kusto_error **err) {
    return kusto_oidc_parse(a, body, strlen(body), err);
}

static void test_well_known_hosts_are_not_discovered(void) {
    CHECK(kusto_login_host_is_well_known("https://login.microsoftonline.com"));
    CHECK(kusto_login_host_is_well_known("https://LOGIN.windows.net/"));
    CHECK(kusto_login_host_is_well_known("https://login.microsoftonline.us"));
    CHECK(kusto_login_host_is_well_known("https://login.chinacloudapi.cn"));
    CHECK(kusto_login_host_is_well_known("https://login.partner.microsoftonline.cn"));
    CHECK(kusto_login_host_is_well_known("https://login.microsoftonline.eaglex.ic.gov")); /* in the cloud list */
    CHECK(!kusto_login_host_is_well_known("http://login.microsoftonline.com"));
    CHECK(!kusto_login_host_is_well_known("https://adfs.contoso.test"));
    CHECK(!kusto_login_host_is_well_known("https://127.0.0.1:8443"));
    CHECK(!kusto_login_host_is_well_known("https://login.microsoftonline.com.evil.test"));
}

static void test_document_url(void) {
    kusto_authority a;
    authority(&a, "https://id.contoso.test/contoso.com/");
    char *url = kusto_oidc_document_url(&a, 0);
    CHECK_STR(url, "https://id.contoso.test/contoso.com/v2.0/.well-known/openid-configuration");
    free(url);
    url = kusto_oidc_document_url(&a, 1);
    CHECK_STR(url, "https://id.contoso.test/contoso.com/.well-known/openid-configuration");
    free(url);
    kusto_authority_clear(&a);
    authority(&a, "https://adfs.contoso.test/adfs");
    url = kusto_oidc_document_url(&a, 0);
    CHECK_STR(url, "https://adfs.contoso.test/adfs/.well-known/openid-configuration");
    free(url);
    kusto_authority_clear(&a);
}

static void test_endpoints_are_taken_from_the_document(void) {
    kusto_authority a;
    authority(&a, "https://adfs.contoso.test/adfs");
    CHECK_INT(parse(&a,
                    DOC("https://adfs.contoso.test/adfs/oauth2/token",
                        "https://adfs.contoso.test/adfs/oauth2/authorize",
                        ",\"device_authorization_endpoint\":\"https://ADFS.contoso.test/adfs/oauth2/devicecode\""),
                    NULL),
              KUSTO_OK);
    char *token = kusto_authority_token_endpoint(&a), *token_v1 = kusto_authority_token_endpoint_v1(&a);
    char *device = kusto_authority_devicecode_endpoint(&a), *authorize = kusto_authority_authorize_endpoint(&a);
    CHECK_STR(token, "https://adfs.contoso.test/adfs/oauth2/token");
    CHECK_STR(token_v1, "https://adfs.contoso.test/adfs/oauth2/token");
    CHECK_STR(device, "https://ADFS.contoso.test/adfs/oauth2/devicecode");
    CHECK_STR(authorize, "https://adfs.contoso.test/adfs/oauth2/authorize");
    free(token), free(token_v1), free(device), free(authorize);
    kusto_authority_clear(&a);
}

static void test_no_device_endpoint_means_devicecode_beside_the_token_endpoint(void) {
    kusto_authority a;
    authority(&a, "https://b2c.contoso.test/tenant");
    CHECK_INT(parse(&a, DOC("https://b2c.contoso.test/tenant/oauth2/v2.0/token", "https://b2c.contoso.test/a", ""),
                    NULL),
              KUSTO_OK);
    char *device = kusto_authority_devicecode_endpoint(&a);
    CHECK_STR(device, "https://b2c.contoso.test/tenant/oauth2/v2.0/devicecode");
    free(device);
    kusto_authority_clear(&a);
}

static void test_without_discovery_urls_are_built(void) {
    kusto_authority a;
    authority(&a, "https://login.microsoftonline.com/contoso.com");
    char *device = kusto_authority_devicecode_endpoint(&a), *authorize = kusto_authority_authorize_endpoint(&a);
    CHECK_STR(device, "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/devicecode");
    CHECK_STR(authorize, "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/authorize");
    free(device), free(authorize);
    kusto_authority_clear(&a);
}

static void check_refused(const char *body, kusto_status expected, const char *message_part) {
    kusto_authority a;
    kusto_error *err = NULL;
    authority(&a, "https://adfs.contoso.test/adfs");
    CHECK_INT(parse(&a, body, &err), expected);
    CHECK(err && strstr(kusto_error_message(err), message_part));
    if (err && !strstr(kusto_error_message(err), message_part))
        fprintf(stderr, "  message: %s\n", kusto_error_message(err));
    CHECK(a.token_endpoint == NULL && a.authorization_endpoint == NULL && a.device_authorization_endpoint == NULL);
    kusto_error_free(err);
    kusto_authority_clear(&a);
}

static void test_invalid_documents_are_refused(void) {
    check_refused("not json", KUSTO_E_PROTOCOL, "not a JSON object");
    check_refused("[]", KUSTO_E_PROTOCOL, "not a JSON object");
    check_refused("{\"issuer\":\"x\"}", KUSTO_E_PROTOCOL, "no token_endpoint");
    check_refused("{\"token_endpoint\":\"https://adfs.contoso.test/t\"}", KUSTO_E_PROTOCOL, "authorization_endpoint");
    check_refused(DOC("token", "https://adfs.contoso.test/a", ""), KUSTO_E_PROTOCOL, "token_endpoint is not");
}

static void test_endpoints_elsewhere_are_untrusted(void) {
    check_refused(DOC("https://evil.test/adfs/oauth2/token", "https://adfs.contoso.test/a", ""), KUSTO_E_UNTRUSTED,
                  "its host 'evil.test' is not the authority's host 'adfs.contoso.test'");
    check_refused(DOC("http://adfs.contoso.test/t", "https://adfs.contoso.test/a", ""), KUSTO_E_UNTRUSTED,
                  "plain http");
    check_refused(DOC("https://adfs.contoso.test/t", "https://adfs.contoso.test.evil.test/a", ""), KUSTO_E_UNTRUSTED,
                  "authorization_endpoint");
    check_refused(DOC("https://adfs.contoso.test/t", "https://adfs.contoso.test/a",
                      ",\"device_authorization_endpoint\":\"https://127.0.0.1/d\""),
                  KUSTO_E_UNTRUSTED, "device_authorization_endpoint");
}

static void test_a_loopback_authority_may_name_any_loopback_host(void) {
    kusto_authority a;
    authority(&a, "https://127.0.0.1:8443/tenant");
    CHECK_INT(parse(&a, DOC("https://localhost:8443/tenant/oauth2/v2.0/token", "http://127.0.0.1:9/a", ""), NULL),
              KUSTO_OK);
    CHECK_STR(a.token_endpoint, "https://localhost:8443/tenant/oauth2/v2.0/token");
    kusto_authority_clear(&a);
}

int main(void) {
    test_well_known_hosts_are_not_discovered();
    test_document_url();
    test_endpoints_are_taken_from_the_document();
    test_no_device_endpoint_means_devicecode_beside_the_token_endpoint();
    test_without_discovery_urls_are_built();
    test_invalid_documents_are_refused();
    test_endpoints_elsewhere_are_untrusted();
    test_a_loopback_authority_may_name_any_loopback_host();
    CHECK_DONE();
}

/* core/src/metadata.c (cloud metadata answers), the login aliases of endpoints.c, and national clouds
   at the client level: untrusted clusters fail before any request, trusted ones reach the network. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "endpoints.h"
#include "error.h"
#include "metadata.h"

#define AAD(login, mfa, resource)                                                                            \
    "{\"AzureAD\":{\"LoginEndpoint\":\"" login "\",\"LoginMfaRequired\":" mfa ",\"KustoClientAppId\":\"a\"," \
    "\"KustoClientRedirectUri\":\"r\",\"KustoServiceResourceId\":\"" resource "\",\"FirstPartyAuthorityUrl\":\"f\"}}"

static kusto_status parse(const char *body, kusto_cloud_info *info, kusto_error **err) {
    return kusto_cloud_info_parse(info, body, strlen(body), err);
}

static void test_parse_public_answer(void) {
    kusto_cloud_info info;
    CHECK_INT(parse(AAD("https://login.microsoftonline.com/", "false", "https://kusto.kusto.windows.net"), &info, NULL),
              KUSTO_OK);
    CHECK_STR(info.login_endpoint, "https://login.microsoftonline.com");
    CHECK_STR(info.resource, "https://kusto.kusto.windows.net");
    kusto_cloud_info_clear(&info);
}

static void test_parse_mfa_uses_the_kustomfa_resource(void) {
    kusto_cloud_info info;
    CHECK_INT(parse(AAD("https://login.microsoftonline.us", "true", "https://kusto.kusto.usgovcloudapi.net/"), &info,
                    NULL),
              KUSTO_OK);
    CHECK_STR(info.login_endpoint, "https://login.microsoftonline.us");
    CHECK_STR(info.resource, "https://kusto.kustomfa.usgovcloudapi.net");
    kusto_cloud_info_clear(&info);
    CHECK_INT(parse(AAD("https://l", "true", "https://127.0.0.1"), &info, NULL), KUSTO_OK);
    CHECK_STR(info.resource, "https://127.0.0.1"); /* nothing to replace */
    kusto_cloud_info_clear(&info);
}

static void test_parse_null_azure_ad_is_the_default_cloud(void) {
    kusto_cloud_info info;
    unsetenv("AadAuthorityUri");
    CHECK_INT(parse("{\"AzureAD\":null}", &info, NULL), KUSTO_OK);
    CHECK_STR(info.login_endpoint, "https://login.microsoftonline.com");
    CHECK_STR(info.resource, KUSTO_PUBLIC_RESOURCE);
    kusto_cloud_info_clear(&info);
    setenv("AadAuthorityUri", "https://login.example.test/", 1);
    CHECK_INT(kusto_cloud_info_default(&info, NULL), KUSTO_OK);
    CHECK_STR(info.login_endpoint, "https://login.example.test");
    CHECK_STR(info.resource, KUSTO_PUBLIC_RESOURCE);
    kusto_cloud_info_clear(&info);
    unsetenv("AadAuthorityUri");
}

static void check_invalid(const char *body, const char *message_part) {
    kusto_cloud_info info;
    kusto_error *err = NULL;
    CHECK_INT(parse(body, &info, &err), KUSTO_E_PROTOCOL);
    CHECK(err && strstr(kusto_error_message(err), "invalid cloud metadata"));
    CHECK(err && strstr(kusto_error_message(err), message_part));
    CHECK(info.login_endpoint == NULL && info.resource == NULL);
    kusto_error_free(err);
}

static void test_parse_rejects_incomplete_answers(void) {
    check_invalid("{}", "no AzureAD");
    check_invalid("", "not a JSON object");
    check_invalid("[1]", "not a JSON object");
    check_invalid("<html>", "not a JSON object");
    check_invalid("{\"AzureAD\":{}}", "lacks");
    check_invalid("{\"AzureAD\":{\"LoginEndpoint\":\"https://l\",\"LoginMfaRequired\":false}}", "lacks");
    check_invalid("{\"AzureAD\":{\"LoginEndpoint\":\"https://l\",\"KustoServiceResourceId\":\"https://r\"}}", "lacks");
    check_invalid("{\"AzureAD\":{\"LoginEndpoint\":\"\",\"LoginMfaRequired\":false,\"KustoServiceResourceId\":\"r\"}}",
                  "lacks");
}

static void test_login_aliases(void) {
    CHECK_INT(kusto_endpoint_check("https://x.kusto.chinacloudapi.cn", "https://login.chinacloudapi.cn", NULL, NULL),
              KUSTO_OK);
    CHECK_INT(kusto_endpoint_check("https://x.kusto.usgovcloudapi.net", "https://login.usgovcloudapi.net/", NULL, NULL),
              KUSTO_OK);
    CHECK_INT(kusto_endpoint_check("https://x.kusto.windows.net", "https://login.windows.net", NULL, NULL), KUSTO_OK);
    CHECK_INT(kusto_endpoint_check("https://x.kusto.windows.net", "https://login.chinacloudapi.cn", NULL, NULL),
              KUSTO_E_UNTRUSTED);
}

static void test_any_cloud(void) {
    kusto_error *err = NULL;
    CHECK_INT(kusto_endpoint_check_any_cloud("https://x.kusto.usgovcloudapi.net", NULL, NULL), KUSTO_OK);
    CHECK_INT(kusto_endpoint_check_any_cloud("https://x.kusto.chinacloudapi.cn", NULL, NULL), KUSTO_OK);
    CHECK_INT(kusto_endpoint_check_any_cloud("https://127.0.0.1:8080", NULL, NULL), KUSTO_OK);
    CHECK_INT(kusto_endpoint_check_any_cloud("https://evil.example.com", "evil.example.com", NULL), KUSTO_OK);
    CHECK_INT(kusto_endpoint_check_any_cloud("http://x.kusto.windows.net", NULL, NULL), KUSTO_E_UNTRUSTED);
    CHECK_INT(kusto_endpoint_check_any_cloud("https://evil.example.com", NULL, &err), KUSTO_E_UNTRUSTED);
    CHECK(err && strstr(kusto_error_message(err), "'evil.example.com'"));
    kusto_error_free(err);
}

/* ---- national clouds through a client: no emulator, no DNS for these hosts ------------------------ */

static kusto_status query(const char *connstr, const char *authority, kusto_error **err) {
    kusto_options *opts = NULL;
    kusto_client *client = NULL;
    kusto_options_new(&opts);
    if (authority) kusto_options_set(opts, "authority", authority);
    kusto_options_set(opts, "timeout", "5");
    kusto_status status = kusto_client_new(&client, connstr, opts, err);
    if (status == KUSTO_OK) status = kusto_client_query(client, "db", "print 1", NULL, NULL, NULL, err);
    kusto_client_free(client);
    kusto_options_free(opts);
    return status;
}

#define APP ";AAD Federated Security=True;Application Client Id=app;Application Key=not-a-real-key"
#define GOV "https://x.kusto.usgovcloudapi.net"
#define CN "https://x.kusto.chinacloudapi.cn"

static void expect(const char *connstr, const char *authority, kusto_status status, const char *message_part) {
    kusto_error *err = NULL;
    CHECK_INT(query(connstr, authority, &err), status);
    CHECK(err && strstr(kusto_error_message(err), message_part));
    if (err && !strstr(kusto_error_message(err), message_part))
        fprintf(stderr, "  message: %s\n", kusto_error_message(err));
    kusto_error_free(err);
}

static void test_national_clouds_at_the_client(void) {
    unsetenv("AadAuthorityUri");
    /* Cross-cloud: refused before any request. */
    expect("Data Source=" GOV APP, "https://login.microsoftonline.com/t", KUSTO_E_UNTRUSTED,
           "'x.kusto.usgovcloudapi.net'");
    expect("Data Source=" CN APP, "https://login.microsoftonline.us/t", KUSTO_E_UNTRUSTED,
           "'x.kusto.chinacloudapi.cn'");
    expect("Data Source=https://x.kusto.windows.net" APP, "https://login.partner.microsoftonline.cn/t",
           KUSTO_E_UNTRUSTED, "login endpoint 'https://login.partner.microsoftonline.cn'");
    /* A caller's token: no metadata, checked against the client's (public) login endpoint. */
    expect("Data Source=" GOV ";AAD Federated Security=True;User Token=not-a-real-token", NULL, KUSTO_E_UNTRUSTED,
           "'x.kusto.usgovcloudapi.net'");
    /* Same cloud: trusted, then the cloud metadata request fails (the host does not resolve here). */
    expect("Data Source=" GOV APP, "https://login.microsoftonline.us/t", KUSTO_E_NETWORK, GOV "/v1/rest/auth/metadata");
    expect("Data Source=" CN APP, "https://login.partner.microsoftonline.cn/t", KUSTO_E_NETWORK,
           CN "/v1/rest/auth/metadata");
    expect("Data Source=" CN APP, "https://login.chinacloudapi.cn/t", KUSTO_E_NETWORK, CN "/v1/rest/auth/metadata");
    /* No authority given: on some cloud's list, so the metadata is asked for (its login endpoint decides). */
    expect("Data Source=" GOV APP, NULL, KUSTO_E_NETWORK, GOV "/v1/rest/auth/metadata");
    expect("Data Source=https://evil.example.com" APP, NULL, KUSTO_E_UNTRUSTED, "any known cloud");
    /* A caller's token with the Gov login endpoint: trusted, the query itself fails on the network. */
    setenv("AadAuthorityUri", "https://login.microsoftonline.us", 1);
    expect("Data Source=" GOV ";AAD Federated Security=True;User Token=not-a-real-token", NULL, KUSTO_E_NETWORK,
           GOV "/v2/rest/query");
    unsetenv("AadAuthorityUri");
}

int main(void) {
    test_parse_public_answer();
    test_parse_mfa_uses_the_kustomfa_resource();
    test_parse_null_azure_ad_is_the_default_cloud();
    test_parse_rejects_incomplete_answers();
    test_login_aliases();
    test_any_cloud();
    test_national_clouds_at_the_client();
    CHECK_DONE();
}

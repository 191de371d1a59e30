/* core/src/endpoints.c (trusted endpoints, loopback, http refusal), endpoints_data.c and url.c. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "endpoints.h"
#include "error.h"
#include "url.h"


#define PUBLIC "https://login.microsoftonline.com"
#define US_GOV "https://login.microsoftonline.us"
#define CHINA "https://login.partner.microsoftonline.cn"

static void test_embedded_json_matches_data_file(void) {
    FILE *f = fopen("core/data/wellKnownKustoEndpoints.json", "rb");
    CHECK(f != NULL);
    if (!f) return;
    static char file[65536];
    size_t n = fread(file, 1, sizeof file, f);
    fclose(f);
    CHECK(n > 1000 && n < sizeof file);
    CHECK_INT(strlen(kusto_endpoints_json), n);
    CHECK(memcmp(kusto_endpoints_json, file, n) == 0);
}

static void test_url_parse(void) {
    kusto_url u;
    kusto_error *err = NULL;
    CHECK_INT(kusto_url_parse(&u, "HTTPS://Help.Kusto.Windows.NET/Samples?x=1", "cluster URL", &err), KUSTO_OK);
    CHECK_STR(u.scheme, "https");
    CHECK_STR(u.host, "help.kusto.windows.net");
    CHECK_INT(u.port, 0);
    CHECK_STR(u.path, "/Samples");
    kusto_url_clear(&u);

    CHECK_INT(kusto_url_parse(&u, "http://[::1]:8443", "cluster URL", &err), KUSTO_OK);
    CHECK_STR(u.scheme, "http");
    CHECK_STR(u.host, "::1");
    CHECK_INT(u.port, 8443);
    CHECK_STR(u.path, "/");
    kusto_url_clear(&u);
    CHECK(err == NULL);

    CHECK_INT(kusto_url_parse(&u, "ftp://x.kusto.windows.net", "cluster URL", &err), KUSTO_E_ARGUMENT);
    CHECK_STR(kusto_error_message(err), "cluster URL is not an absolute http(s) URL: 'ftp://x.kusto.windows.net'");
    CHECK(u.host == NULL && u.scheme == NULL);
    CHECK_INT(kusto_url_parse(&u, "c.kusto.windows.net", "cluster URL", &err), KUSTO_E_ARGUMENT);
    CHECK_INT(kusto_url_parse(&u, "", "cluster URL", &err), KUSTO_E_ARGUMENT);
    CHECK_INT(kusto_url_parse(&u, NULL, "cluster URL", &err), KUSTO_E_ARGUMENT);
    CHECK_INT(kusto_url_parse(&u, "https://", "authority", &err), KUSTO_E_ARGUMENT);
    CHECK_STR(kusto_error_message(err), "authority is not an absolute http(s) URL: 'https://'");
    CHECK_INT(kusto_url_parse(&u, "https://user:hunter2@x.kusto.windows.net:ab", "cluster URL", &err),
              KUSTO_E_ARGUMENT);
    CHECK(!strstr(kusto_error_message(err), "hunter2"));
    kusto_error_free(err);
    kusto_url_clear(&u);
}

static void test_loopback(void) {
    CHECK_INT(kusto_host_is_loopback("localhost"), 1);
    CHECK_INT(kusto_host_is_loopback("LocalHost"), 1);
    CHECK_INT(kusto_host_is_loopback("::1"), 1);
    CHECK_INT(kusto_host_is_loopback("[::1]"), 1);
    CHECK_INT(kusto_host_is_loopback("127.0.0.1"), 1);
    CHECK_INT(kusto_host_is_loopback("127.255.10.2"), 1);
    CHECK_INT(kusto_host_is_loopback("127.0.0.1.a"), 0);
    CHECK_INT(kusto_host_is_loopback("127.0.0"), 0);
    CHECK_INT(kusto_host_is_loopback("127.0.0.256"), 0);
    CHECK_INT(kusto_host_is_loopback("127.0.0.0001"), 0);
    CHECK_INT(kusto_host_is_loopback("127..0.1"), 0);
    CHECK_INT(kusto_host_is_loopback("127.0.0.1x"), 0);
    CHECK_INT(kusto_host_is_loopback("128.0.0.1"), 0);
    CHECK_INT(kusto_host_is_loopback("localhostess"), 0);
    CHECK_INT(kusto_host_is_loopback("localhost.evil.com"), 0);
    CHECK_INT(kusto_host_is_loopback("::2"), 0);
    CHECK_INT(kusto_host_is_loopback(""), 0);
    CHECK_INT(kusto_host_is_loopback(NULL), 0);
}

static kusto_status check(const char *url, const char *login, const char *extra) {
    kusto_error *err = NULL;
    kusto_status status = kusto_endpoint_check(url, login, extra, &err);
    CHECK_INT(status == KUSTO_OK, err == NULL);
    if (err) CHECK_INT(kusto_error_status(err), status);
    kusto_error_free(err);
    return status;
}

static void test_trusted_public(void) {
    static const char *const trusted[] = {
        "https://help.kusto.windows.net",
        "https://help.kusto.windows.net/Samples",
        "https://Help.KUSTO.windows.net:443/",
        "https://mycluster.westeurope.kusto.windows.net",
        "https://ingest-mycluster.westeurope.kusto.windows.net",
        "https://mycluster.kustomfa.windows.net",
        "https://mycluster.kustodev.windows.net",
        "https://ws.kusto.azuresynapse.net",
        "https://trd-abc.z1.kusto.fabric.microsoft.com",
        "https://x.kusto.data.microsoft.com",
        "https://title.playfabapi.com",
        "https://title.playfab.com",
        "https://x.azureplayfab.com",
        "https://x.dxp.aad.azure.com",
        "https://x.api.securityplatform.microsoft.com",
        "https://x.securitycenter.windows.com",
        "https://x.arg.core.windows.net",
        "https://ade.loganalytics.io",
        "https://ade.loganalytics.io/subscriptions/123/resourcegroups/rg/providers/microsoft.operationalinsights/workspaces/w",
        "https://ade.applicationinsights.io",
        "https://adx.monitor.azure.com",
        "https://adx.loganalytics.azure.com",
        "https://adx.aimon.applicationinsights.azure.com",
        "https://kusto.aria.microsoft.com",
        "https://eu.kusto.aria.microsoft.com",
        "https://api.securityplatform.microsoft.com",
    };
    for (size_t i = 0; i < sizeof trusted / sizeof *trusted; i++) {
        kusto_status status = check(trusted[i], PUBLIC, NULL);
        if (status != KUSTO_OK) fprintf(stderr, "  not trusted: %s\n", trusted[i]);
        CHECK_INT(status, KUSTO_OK);
    }
    /* The login endpoint compares case-insensitively, a trailing '/' ignored; NULL is the public cloud. */
    CHECK_INT(check("https://help.kusto.windows.net", "HTTPS://LOGIN.microsoftonline.com/", NULL), KUSTO_OK);
    CHECK_INT(check("https://help.kusto.windows.net", NULL, NULL), KUSTO_OK);
}

static void test_trusted_national_clouds(void) {
    CHECK_INT(check("https://c.eastus.kusto.usgovcloudapi.net", US_GOV, NULL), KUSTO_OK);
    CHECK_INT(check("https://c.kustomfa.usgovcloudapi.net", US_GOV, NULL), KUSTO_OK);
    CHECK_INT(check("https://adx.monitor.azure.us", US_GOV, NULL), KUSTO_OK);
    CHECK_INT(check("https://c.chinaeast2.kusto.chinacloudapi.cn", CHINA, NULL), KUSTO_OK);
    CHECK_INT(check("https://x.playfab.cn", CHINA, NULL), KUSTO_OK);
    CHECK_INT(check("https://adx.loganalytics.azure.cn", CHINA, NULL), KUSTO_OK);
    CHECK_INT(check("https://c.kusto.core.eaglex.ic.gov", "https://login.microsoftonline.eaglex.ic.gov", NULL),
              KUSTO_OK);
    CHECK_INT(check("https://c.kusto.core.microsoft.scloud", "https://login.microsoftonline.microsoft.scloud", NULL),
              KUSTO_OK);
    CHECK_INT(check("https://c.kusto.sovcloud-api.fr", "https://login.sovcloud-identity.fr", NULL), KUSTO_OK);
    CHECK_INT(check("https://adx.monitor.azure.de", "https://login.sovcloud-identity.de", NULL), KUSTO_OK);
    CHECK_INT(check("https://c.kustomfa.sovcloud-api.sg", "https://login.sovcloud-identity.sg", NULL), KUSTO_OK);
}

static void test_cross_cloud_rejected(void) {
    CHECK_INT(check("https://c.kusto.chinacloudapi.cn", PUBLIC, NULL), KUSTO_E_UNTRUSTED);
    CHECK_INT(check("https://help.kusto.windows.net", CHINA, NULL), KUSTO_E_UNTRUSTED);
    CHECK_INT(check("https://c.kusto.usgovcloudapi.net", PUBLIC, NULL), KUSTO_E_UNTRUSTED);
    CHECK_INT(check("https://adx.monitor.azure.com", US_GOV, NULL), KUSTO_E_UNTRUSTED);
    CHECK_INT(check("https://help.kusto.windows.net", "https://login.example.com", NULL), KUSTO_E_UNTRUSTED);
}

static void test_untrusted(void) {
    static const char *const untrusted[] = {
        "https://attacker.example.com",
        "https://kusto.windows.net",
        "https://kusto.windows.net.evil.com",
        "https://help.kusto.windows.net.evil.com/",
        "https://evilkusto.windows.net",
        "https://cluster.kusto.aria.microsoft.com",
        "https://xade.loganalytics.io",
        "https://ade.loganalytics.io.evil.com",
        "https://playfab.com",
        "https://10.0.0.1",
    };
    for (size_t i = 0; i < sizeof untrusted / sizeof *untrusted; i++) {
        kusto_status status = check(untrusted[i], PUBLIC, NULL);
        if (status != KUSTO_E_UNTRUSTED) fprintf(stderr, "  trusted by mistake: %s\n", untrusted[i]);
        CHECK_INT(status, KUSTO_E_UNTRUSTED);
    }
    kusto_error *err = NULL;
    CHECK_INT(kusto_endpoint_check("https://Attacker.example.com/db", PUBLIC, NULL, &err), KUSTO_E_UNTRUSTED);
    CHECK_STR(kusto_error_message(err),
              "can't send a token to 'attacker.example.com': it is not a trusted Kusto endpoint for login endpoint "
              "'https://login.microsoftonline.com' (add it with the trusted_hosts option)");
    kusto_error_free(err);
}

static void test_loopback_and_http(void) {
    CHECK_INT(check("http://localhost:8080", PUBLIC, NULL), KUSTO_OK);
    CHECK_INT(check("http://127.0.0.1:1234/db", PUBLIC, NULL), KUSTO_OK);
    CHECK_INT(check("https://127.0.0.1:1234", "https://login.example.com", NULL), KUSTO_OK);
    CHECK_INT(check("http://[::1]:80", PUBLIC, NULL), KUSTO_OK);

    kusto_error *err = NULL;
    CHECK_INT(kusto_endpoint_check("http://help.kusto.windows.net", PUBLIC, NULL, &err), KUSTO_E_UNTRUSTED);
    CHECK_STR(kusto_error_message(err), "refusing to send a token over plain http to 'help.kusto.windows.net'");
    kusto_error_free(err);
    /* Plain http stays refused even for a host the user trusts. */
    CHECK_INT(check("http://my.host.example", PUBLIC, "my.host.example"), KUSTO_E_UNTRUSTED);
    CHECK_INT(check("http://127.0.0.1.evil.com", PUBLIC, NULL), KUSTO_E_UNTRUSTED);

    err = NULL;
    CHECK_INT(kusto_endpoint_check("not a url", PUBLIC, NULL, &err), KUSTO_E_ARGUMENT);
    kusto_error_free(err);
    CHECK_INT(kusto_endpoint_check("ftp://help.kusto.windows.net", PUBLIC, NULL, NULL), KUSTO_E_ARGUMENT);
}

static void test_extra_hosts(void) {
    const char *extra = " my.proxy.example ,  .corp.example,other.example ";
    CHECK_INT(check("https://my.proxy.example", PUBLIC, extra), KUSTO_OK);
    CHECK_INT(check("https://MY.Proxy.Example/x", PUBLIC, extra), KUSTO_OK);
    CHECK_INT(check("https://a.b.corp.example", PUBLIC, extra), KUSTO_OK);
    CHECK_INT(check("https://other.example", PUBLIC, extra), KUSTO_OK);
    CHECK_INT(check("https://corp.example", PUBLIC, extra), KUSTO_E_UNTRUSTED);
    CHECK_INT(check("https://x.my.proxy.example", PUBLIC, extra), KUSTO_E_UNTRUSTED);
    CHECK_INT(check("https://my.proxy.example.evil", PUBLIC, extra), KUSTO_E_UNTRUSTED);
    CHECK_INT(check("https://notother.example", PUBLIC, extra), KUSTO_E_UNTRUSTED);
    /* Extra hosts work with any login endpoint; the built-in list still applies alongside them. */
    CHECK_INT(check("https://my.proxy.example", "https://login.example.com", extra), KUSTO_OK);
    CHECK_INT(check("https://help.kusto.windows.net", PUBLIC, extra), KUSTO_OK);
    CHECK_INT(check("https://x.example", PUBLIC, ""), KUSTO_E_UNTRUSTED);
    CHECK_INT(check("https://x.example", PUBLIC, " , ,"), KUSTO_E_UNTRUSTED);
}

static void *check_in_thread(void *arg) {
    return (void *)(long)kusto_endpoint_check((const char *)arg, PUBLIC, NULL, NULL);
}

/* The list loads once however many threads ask first (run under ASan/valgrind to see it). */
static void test_login_host_aliases(void) {
    CHECK(kusto_login_hosts_same_cloud("login.windows.net", "login.microsoftonline.com"));
    CHECK(kusto_login_hosts_same_cloud("sts.windows.net", "LOGIN.microsoft.com"));
    CHECK(kusto_login_hosts_same_cloud("login.chinacloudapi.cn", "login.partner.microsoftonline.cn"));
    CHECK(kusto_login_hosts_same_cloud("login.usgovcloudapi.net", "login.microsoftonline.us"));
    CHECK(kusto_login_hosts_same_cloud("127.0.0.1", "127.0.0.1"));
    CHECK(!kusto_login_hosts_same_cloud("login.microsoftonline.us", "login.microsoftonline.com"));
    CHECK(!kusto_login_hosts_same_cloud("login.windows.net", "login.chinacloudapi.cn"));
    CHECK(!kusto_login_hosts_same_cloud("login.example.com", "login.windows.net"));
    CHECK(!kusto_login_hosts_same_cloud(NULL, "login.windows.net"));
    CHECK(!kusto_login_hosts_same_cloud("login.windows.net", NULL));
}

static void test_threads(void) {
    pthread_t threads[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&threads[i], NULL, check_in_thread, (void *)"https://help.kusto.windows.net");
    for (int i = 0; i < 4; i++) {
        void *result = NULL;
        pthread_join(threads[i], &result);
        CHECK_INT((long)result, KUSTO_OK);
    }
}

int main(void) {
    test_threads();
    test_embedded_json_matches_data_file();
    test_url_parse();
    test_loopback();
    test_trusted_public();
    test_trusted_national_clouds();
    test_cross_cloud_rejected();
    test_untrusted();
    test_loopback_and_http();
    test_extra_hosts();
    test_login_host_aliases();
    CHECK_DONE();
}

/* What the flows that need a person share: MSAL's scopes, CSPRNG strings, PKCE, the id token check. */
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "flows.h"
#include "token.h"

char *kusto_user_scope(const char *resource) {
    kusto_buf b = {0};
    /* MSAL sorts the scopes; "offline_access openid profile" sort after any "https://..." resource. */
    const char *fixed[] = {"offline_access", "openid", "profile"};
    char *mine = NULL;
    if (kusto_buf_printf(&b, "%s/.default", resource)) return NULL;
    mine = kusto_buf_take(&b);
    const char *all[4] = {mine, fixed[0], fixed[1], fixed[2]};
    for (int i = 1; i < 4; i++)
        for (int j = i; j > 0 && strcmp(all[j - 1], all[j]) > 0; j--) {
            const char *t = all[j];
            all[j] = all[j - 1];
            all[j - 1] = t;
        }
    int failed = 0;
    for (int i = 0; i < 4; i++) failed |= kusto_buf_printf(&b, "%s%s", i ? " " : "", all[i]);
    free(mine);
    if (failed) {
        kusto_buf_free(&b);
        return NULL;
    }
    return kusto_buf_take(&b);
}

char *kusto_b64url_encode(const unsigned char *data, size_t len) {
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (!out) return NULL;
    int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    while (n > 0 && out[n - 1] == '=') n--;
    out[n] = '\0';
    for (char *p = out; *p; p++) *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    return out;
}

int kusto_random_b64url(char *out, size_t nbytes) {
    unsigned char raw[64];
    if (nbytes > sizeof raw || RAND_bytes(raw, (int)nbytes) != 1) return -1;
    char *text = kusto_b64url_encode(raw, nbytes);
    OPENSSL_cleanse(raw, sizeof raw);
    if (!text) return -1;
    strcpy(out, text);
    kusto_secret_free(text);
    return 0;
}

char *kusto_pkce_challenge(const char *verifier) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)verifier, strlen(verifier), digest);
    return kusto_b64url_encode(digest, sizeof digest);
}

kusto_status kusto_id_token_check(const char *id_token, const char *client_id, const char *nonce, kusto_error **err) {
    if (!id_token) return kusto_fail(err, KUSTO_E_PROTOCOL, "Azure AD answered without an id token");
    cJSON *claims = kusto_jwt_claims(id_token);
    const char *aud = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(claims, "aud"));
    const char *got_nonce = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(claims, "nonce"));
    kusto_status status = KUSTO_OK;
    if (!cJSON_IsObject(claims))
        status = kusto_fail(err, KUSTO_E_PROTOCOL, "Azure AD's id token is not a JSON Web Token");
    else if (!aud || strcmp(aud, client_id) != 0)
        status = kusto_fail(err, KUSTO_E_AUTH, "the id token is for another application (aud is not %s)", client_id);
    else if (nonce && (!got_nonce || strcmp(got_nonce, nonce) != 0))
        status = kusto_fail(err, KUSTO_E_AUTH,
                            "the id token's nonce does not match the sign-in's (a replayed answer?)");
    cJSON_Delete(claims);
    return status;
}

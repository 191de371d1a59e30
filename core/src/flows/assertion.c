/* A JWT client assertion signed with the application's certificate (RS256/PS256, x5t, optionally x5c). */
#include "assertion.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "token.h"
#include "uuid.h"

#define ASSERTION_LIFETIME 600
#define ASSERTION_REUSE 540 /* as MSAL: regenerate a minute before Azure AD would refuse it */

struct kusto_assertion_signer {
    EVP_PKEY *key;
    STACK_OF(X509) * chain; /* leaf first */
    int pss;                /* PFX: PS256 + x5t#S256, as MSAL >= 1.30; PEM: RS256 + x5t */
    int send_x5c;
    char *assertion; /* secret: the last one signed, reused until ASSERTION_REUSE */
    char *audience;
    int64_t signed_at;
};

/* ---- encoding ------------------------------------------------------------------------------------ */

static int b64(kusto_buf *out, const unsigned char *data, size_t len, int url) {
    size_t size = 4 * ((len + 2) / 3) + 1;
    unsigned char *text = malloc(size);
    if (!text) return -1;
    int n = EVP_EncodeBlock(text, data, (int)len);
    if (url) {
        while (n > 0 && text[n - 1] == '=') n--;
        for (int i = 0; i < n; i++) text[i] = text[i] == '+' ? '-' : text[i] == '/' ? '_' : text[i];
    }
    int failed = kusto_buf_append(out, text, (size_t)n);
    free(text);
    return failed;
}

static int b64url_text(kusto_buf *out, const kusto_buf *text) {
    return b64(out, (const unsigned char *)text->data, text->len, 1);
}

static int cert_digest(kusto_buf *out, X509 *cert, const EVP_MD *md) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    return X509_digest(cert, md, digest, &len) == 1 ? b64(out, digest, len, 1) : -1;
}

/* ---- loading ------------------------------------------------------------------------------------- */

/* `what` went wrong with the certificate; `password_hint`: it may be the password (named, never shown). */
static kusto_status bad_credential(const kusto_certificate_source *src, kusto_error **err, const char *what,
                                   int password_hint) {
    kusto_buf hint = {0};
    if (password_hint)
        kusto_buf_printf(&hint, " (wrong or missing %s?)",
                         src->password_name ? src->password_name : "certificate_password");
    const char *h = hint.data ? hint.data : "";
    kusto_status status = src->pem ? kusto_fail(err, KUSTO_E_ARGUMENT, "the Application Certificate Blob %s%s", what, h)
                                   : kusto_fail(err, KUSTO_E_ARGUMENT, "the application certificate file '%s' %s%s",
                                                src->path, what, h);
    kusto_buf_free(&hint);
    return status;
}

/* Puts the certificate that matches the key first. */
static kusto_status order_chain(kusto_assertion_signer *s, const kusto_certificate_source *src, kusto_error **err) {
    int n = sk_X509_num(s->chain);
    for (int i = 0; i < n; i++) {
        X509 *cert = sk_X509_value(s->chain, i);
        if (X509_check_private_key(cert, s->key) != 1) continue;
        if (i) {
            sk_X509_delete(s->chain, i);
            sk_X509_unshift(s->chain, cert);
        }
        return KUSTO_OK;
    }
    return bad_credential(src, err, n ? "does not match its private key" : "holds no certificate", 0);
}

static kusto_status load_pem(kusto_assertion_signer *s, const kusto_certificate_source *src, const char *pem,
                             size_t len, kusto_error **err) {
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio) s->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)(src->password ? src->password : ""));
    BIO_free(bio);
    if (!s->key) return bad_credential(src, err, "holds no readable PEM private key", 1);
    bio = BIO_new_mem_buf(pem, (int)len);
    X509 *cert;
    while (bio && (cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) sk_X509_push(s->chain, cert);
    BIO_free(bio);
    return order_chain(s, src, err);
}

static kusto_status load_pfx(kusto_assertion_signer *s, const kusto_certificate_source *src, const char *der,
                             size_t len, kusto_error **err) {
    BIO *bio = BIO_new_mem_buf(der, (int)len);
    PKCS12 *p12 = bio ? d2i_PKCS12_bio(bio, NULL) : NULL;
    BIO_free(bio);
    X509 *leaf = NULL;
    STACK_OF(X509) *extra = NULL;
    int ok = p12 && PKCS12_parse(p12, src->password ? src->password : "", &s->key, &leaf, &extra) == 1;
    PKCS12_free(p12);
    if (!ok || !s->key || !leaf) {
        X509_free(leaf);
        sk_X509_pop_free(extra, X509_free);
        return bad_credential(src, err, "could not be opened as PFX", 1);
    }
    sk_X509_push(s->chain, leaf);
    while (extra && sk_X509_num(extra) > 0) sk_X509_push(s->chain, sk_X509_shift(extra));
    sk_X509_free(extra);
    return order_chain(s, src, err);
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && kusto_strcasecmp(s + n - m, suffix) == 0;
}

static kusto_status read_file(kusto_buf *out, const kusto_certificate_source *src, kusto_error **err) {
    int failed = kusto_buf_read_file(out, src->path, 0);
    if (failed == -1)
        return kusto_fail(err, KUSTO_E_ARGUMENT, "cannot open %s '%s'",
                          src->path_name ? src->path_name : "certificate_path", src->path);
    return failed ? kusto_fail(err, KUSTO_E_NOMEM, "out of memory") : KUSTO_OK;
}

/* Compares a hex SHA-1 thumbprint given by the user with the certificate's. */
static kusto_status check_thumbprint(X509 *cert, const char *expected, kusto_error **err) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1] = "";
    if (X509_digest(cert, EVP_sha1(), digest, &len) != 1) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    for (unsigned int i = 0; i < len; i++) snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    if (kusto_strcasecmp(hex, expected) != 0)
        return kusto_fail(err, KUSTO_E_ARGUMENT,
                          "Application Certificate Thumbprint %s does not match the "
                          "certificate (SHA-1 %s)",
                          expected, hex);
    return KUSTO_OK;
}

static kusto_status load(kusto_assertion_signer *s, const kusto_certificate_source *src, kusto_error **err) {
    if (src->pem) return load_pem(s, src, src->pem, strlen(src->pem), err);
    kusto_buf bytes = {0};
    kusto_status status = read_file(&bytes, src, err);
    if (status == KUSTO_OK && !bytes.data) status = bad_credential(src, err, "is empty", 0);
    s->pss = ends_with(src->path, ".pfx") || ends_with(src->path, ".p12");
    if (status == KUSTO_OK)
        status = s->pss ? load_pfx(s, src, bytes.data, bytes.len, err) : load_pem(s, src, bytes.data, bytes.len, err);
    kusto_buf_wipe(&bytes);
    return status;
}

kusto_status kusto_assertion_signer_new(kusto_assertion_signer **out, const kusto_certificate_source *src,
                                        kusto_error **err) {
    *out = calloc(1, sizeof **out);
    if (!*out || !((*out)->chain = sk_X509_new_null())) {
        kusto_assertion_signer_free(*out);
        *out = NULL;
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    kusto_assertion_signer *s = *out;
    s->send_x5c = src->send_x5c;
    kusto_status status = load(s, src, err);
    if (status == KUSTO_OK && EVP_PKEY_base_id(s->key) != EVP_PKEY_RSA)
        status = bad_credential(src, err, "holds no RSA key (Azure AD client assertions are RS256/PS256)", 0);
    if (status == KUSTO_OK && src->thumbprint && *src->thumbprint)
        status = check_thumbprint(sk_X509_value(s->chain, 0), src->thumbprint, err);
    /* OpenSSL's per-thread error queue is shared with the application (e.g. Python's ssl): leave it empty. */
    ERR_clear_error();
    if (status != KUSTO_OK) {
        kusto_assertion_signer_free(s);
        *out = NULL;
    }
    return status;
}

void kusto_assertion_signer_free(kusto_assertion_signer *s) {
    if (!s) return;
    EVP_PKEY_free(s->key);
    sk_X509_pop_free(s->chain, X509_free);
    kusto_secret_free(s->assertion);
    free(s->audience);
    free(s);
}

/* ---- signing ------------------------------------------------------------------------------------- */

static int header_json(const kusto_assertion_signer *s, kusto_buf *out) {
    X509 *leaf = sk_X509_value(s->chain, 0);
    int failed = kusto_buf_puts(out, s->pss ? "{\"alg\":\"PS256\",\"typ\":\"JWT\",\"x5t#S256\":\""
                                            : "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5t\":\"") ||
                 cert_digest(out, leaf, s->pss ? EVP_sha256() : EVP_sha1()) || kusto_buf_puts(out, "\"");
    if (!failed && s->send_x5c) {
        failed = kusto_buf_puts(out, ",\"x5c\":[");
        for (int i = 0; !failed && i < sk_X509_num(s->chain); i++) {
            unsigned char *der = NULL;
            int len = i2d_X509(sk_X509_value(s->chain, i), &der);
            failed = len <= 0 || kusto_buf_puts(out, i ? ",\"" : "\"") || b64(out, der, (size_t)len, 0) ||
                     kusto_buf_puts(out, "\"");
            OPENSSL_free(der);
        }
        failed = failed || kusto_buf_puts(out, "]");
    }
    return failed || kusto_buf_puts(out, "}");
}

static int claims_json(kusto_buf *out, const char *client_id, const char *audience, int64_t now) {
    char jti[KUSTO_UUID_LEN + 1];
    if (kusto_uuid4(jti) != 0) return -1;
    return kusto_buf_puts(out, "{\"aud\":") || kusto_buf_json_string(out, audience, strlen(audience)) ||
           kusto_buf_printf(out, ",\"exp\":%lld,\"iat\":%lld,\"iss\":", (long long)(now + ASSERTION_LIFETIME),
                            (long long)now) ||
           kusto_buf_json_string(out, client_id, strlen(client_id)) || kusto_buf_printf(out, ",\"jti\":\"%s\"", jti) ||
           kusto_buf_puts(out, ",\"sub\":") || kusto_buf_json_string(out, client_id, strlen(client_id)) ||
           kusto_buf_puts(out, "}");
}

static int sign(const kusto_assertion_signer *s, kusto_buf *jwt) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *sig = NULL;
    size_t len = 0;
    int ok = md && EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, s->key) == 1;
    if (ok && s->pss)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
    ok = ok && EVP_DigestSign(md, NULL, &len, (const unsigned char *)jwt->data, jwt->len) == 1 &&
         (sig = malloc(len)) != NULL && EVP_DigestSign(md, sig, &len, (const unsigned char *)jwt->data, jwt->len) == 1;
    ok = ok && !kusto_buf_puts(jwt, ".") && !b64(jwt, sig, len, 1);
    free(sig);
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    return ok ? 0 : -1;
}

static kusto_status new_assertion(kusto_assertion_signer *s, const char *client_id, const char *audience, int64_t now,
                                  kusto_error **err) {
    kusto_buf header = {0}, claims = {0}, jwt = {0};
    int failed = header_json(s, &header) || claims_json(&claims, client_id, audience, now) ||
                 b64url_text(&jwt, &header) || kusto_buf_puts(&jwt, ".") || b64url_text(&jwt, &claims) || sign(s, &jwt);
    kusto_buf_free(&header);
    kusto_buf_wipe(&claims);
    char *audience_copy = failed ? NULL : kusto_strdup(audience);
    if (failed || !audience_copy) {
        kusto_buf_wipe(&jwt);
        return kusto_fail(err, KUSTO_E_AUTH,
                          "the client assertion could not be signed with the application "
                          "certificate");
    }
    kusto_secret_free(s->assertion);
    free(s->audience);
    s->assertion = kusto_buf_take(&jwt);
    s->audience = audience_copy;
    s->signed_at = now;
    return KUSTO_OK;
}

kusto_status kusto_assertion_get(kusto_assertion_signer *s, const char *client_id, const char *audience,
                                 const char **out, kusto_error **err) {
    int64_t now = kusto_now();
    int reusable = s->assertion && strcmp(s->audience, audience) == 0 && now >= s->signed_at &&
                   now - s->signed_at < ASSERTION_REUSE;
    kusto_status status = reusable ? KUSTO_OK : new_assertion(s, client_id, audience, now, err);
    *out = status == KUSTO_OK ? s->assertion : NULL;
    return status;
}

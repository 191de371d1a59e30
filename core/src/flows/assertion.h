/* Internal: client assertions signed with an application's certificate. */
#ifndef KUSTO_ASSERTION_H
#define KUSTO_ASSERTION_H

#include "flows.h"

/* A certificate with its private key, from PEM text, or a file: PEM (key + certificates) or PFX/PKCS#12
   (path ending .pfx or .p12). */
typedef struct kusto_certificate_source {
    const char *pem;        /* PEM text (Application Certificate Blob); else: */
    const char *path;       /* certificate_path */
    const char *password;   /* certificate_password: for a PFX or an encrypted PEM key; may be NULL */
    const char *thumbprint; /* hex SHA-1, checked against the certificate when given; may be NULL */
    int send_x5c;           /* put the chain in the header (subject name + issuer authentication) */
    /* What the user calls the path and the password, for messages; NULL: "certificate_path", "certificate_password" */
    const char *path_name, *password_name;
} kusto_certificate_source;

/* Loads the key and certificates. KUSTO_E_ARGUMENT, with a message naming the file (never the password), when
   they cannot be read, do not match, do not match the thumbprint, or the key is not RSA. */
kusto_status kusto_assertion_signer_new(kusto_assertion_signer **out, const kusto_certificate_source *src,
                                        kusto_error **err);
void kusto_assertion_signer_free(kusto_assertion_signer *signer);

/* A signed client assertion for `client_id` with audience = the token endpoint (RS256 + x5t for PEM, PS256
   + x5t#S256 for PFX, as MSAL); the same one for 540 s of its 600 s life. Owned by the signer. */
kusto_status kusto_assertion_get(kusto_assertion_signer *signer, const char *client_id, const char *audience,
                                 const char **out, kusto_error **err);

#endif

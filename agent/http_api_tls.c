/* http_api_tls.c -- API clients authenticated by a TLS client certificate: issued by a CA the
 * agent's [http_api] tls_client_ca names, verified by GnuTLS for this connection, and naming a
 * registered API client in its subject's common name (CN). */
#include "http_api.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

int http__client_cert_name(struct MHD_Connection *mc, char *name, size_t len, const char **why)
{
    *why = "no client certificate";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    gnutls_session_t tls = ci ? (gnutls_session_t)ci->tls_session : NULL;
    unsigned n = 0;
    const gnutls_datum_t *chain = tls ? gnutls_certificate_get_peers(tls, &n) : NULL;
    if (!chain || n == 0)
        return -1;
    /* The chain against tls_client_ca, validity dates included, for the client-auth purpose. */
    gnutls_typed_vdata_st purpose = {GNUTLS_DT_KEY_PURPOSE_OID,
                                     (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0};
    unsigned status = 0;
    if (gnutls_certificate_verify_peers(tls, &purpose, 1, &status) != GNUTLS_E_SUCCESS ||
        status != 0) {
        *why = "the client certificate does not verify against tls_client_ca";
        return -1;
    }
    gnutls_x509_crt_t crt;
    if (gnutls_x509_crt_init(&crt) != GNUTLS_E_SUCCESS)
        return -1;
    char cn[128];
    size_t cn_len = sizeof cn;
    int rc = gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER);
    if (rc == GNUTLS_E_SUCCESS)
        rc = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &cn_len);
    gnutls_x509_crt_deinit(crt);
    if (rc != GNUTLS_E_SUCCESS || cn_len == 0 || cn_len >= len || strlen(cn) != cn_len) {
        *why = "the client certificate has no usable common name";
        return -1;
    }
    memcpy(name, cn, cn_len + 1);
    *why = NULL;
    return 0;
}

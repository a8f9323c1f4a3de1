/* SPDX-License-Identifier: Apache-2.0
 * fy_tls: GnuTLS server credentials in generations (see fy_tls.h).
 *
 * libmicrohttpd 0.9.75 builds one credentials object at MHD_start_daemon and
 * has no way to replace it, so each new session is handed the current
 * generation's credentials instead, at MHD_CONNECTION_NOTIFY_STARTED (which
 * MHD calls after gnutls_init and before the handshake). A reload makes a new
 * generation; the old ones stay allocated until fy_tls_free, because a
 * session still in use references them (a few KiB per SIGHUP). */
#include "common/fy_tls.h"

#include "common/fy_alloc.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gen {
    struct gen *older;
    gnutls_certificate_credentials_t cred;
};

struct fy_tls {
    char *cert_file, *key_file, *key_password, *ca_file;
    bool pkcs12;
    enum fy_tls_client_auth client_auth;
    char priorities[128];
    pthread_mutex_t lock; /* guards cur */
    struct gen *cur;      /* newest; ->older links every previous one */
    unsigned n_gens;
};

static char *dup_or_null(const char *s)
{
    return s && s[0] ? fy_strdup(s) : NULL;
}

/* "TLSv1.2,TLSv1.3" -> GnuTLS priorities; anything older than 1.2 is refused. */
static int make_priorities(const char *protocols, char *out, size_t len, struct fy_err *err)
{
    bool v12 = false, v13 = false;
    if (!protocols || !protocols[0]) {
        v12 = v13 = true;
    } else {
        const char *p = protocols;
        while (*p) {
            while (*p == ' ' || *p == ',')
                p++;
            size_t n = strcspn(p, ", ");
            if (n == 0)
                break;
            if (n == 7 && strncmp(p, "TLSv1.2", 7) == 0)
                v12 = true;
            else if (n == 7 && strncmp(p, "TLSv1.3", 7) == 0)
                v13 = true;
            else
                return fy_err_set(err, FY_E_CONFIG,
                                  "ssl.enabled.protocols: '%.*s' is not supported (TLSv1.2 and "
                                  "TLSv1.3 only)",
                                  (int)n, p);
            p += n;
        }
    }
    if (!v12 && !v13)
        return fy_err_set(err, FY_E_CONFIG, "ssl.enabled.protocols: no protocol enabled");
    snprintf(out, len, "NORMAL:-VERS-ALL%s%s", v13 ? ":+VERS-TLS1.3" : "",
             v12 ? ":+VERS-TLS1.2" : "");
    return 0;
}

/* During the handshake: a client certificate that was sent must chain to the
 * CA bundle and be valid now (Jetty's "want" and "need" client auth both fail
 * the handshake on an untrusted one); none at all is for GNUTLS_CERT_REQUIRE
 * to refuse. gnutls_session_set_verify_cert would also refuse "none". */
static int verify_peer(gnutls_session_t s)
{
    unsigned n = 0, status = 0;
    if (!gnutls_certificate_get_peers(s, &n) || n == 0)
        return 0;
    if (gnutls_certificate_verify_peers2(s, &status) < 0 || status != 0)
        return GNUTLS_E_CERTIFICATE_ERROR;
    return 0;
}

static struct gen *load_gen(const struct fy_tls *t, struct fy_err *err)
{
    struct gen *g = fy_calloc(1, sizeof *g);
    int rc = gnutls_certificate_allocate_credentials(&g->cred);
    if (rc < 0) {
        fy_err_set(err, FY_E_CONFIG, "TLS: cannot allocate credentials: %s", gnutls_strerror(rc));
        free(g);
        return NULL;
    }
    if (t->pkcs12)
        rc = gnutls_certificate_set_x509_simple_pkcs12_file(g->cred, t->cert_file,
                                                            GNUTLS_X509_FMT_DER, t->key_password);
    else
        rc = gnutls_certificate_set_x509_key_file2(g->cred, t->cert_file,
                                                   t->key_file ? t->key_file : t->cert_file,
                                                   GNUTLS_X509_FMT_PEM, t->key_password, 0);
    if (rc < 0) {
        fy_err_set(err, FY_E_CONFIG, "TLS: cannot load the certificate '%s' and key '%s': %s",
                   t->cert_file, t->key_file ? t->key_file : t->cert_file, gnutls_strerror(rc));
        goto fail;
    }
    if (t->ca_file) {
        gnutls_certificate_set_verify_function(g->cred, verify_peer);
        rc = gnutls_certificate_set_x509_trust_file(g->cred, t->ca_file, GNUTLS_X509_FMT_PEM);
        if (rc <= 0) {
            fy_err_set(err, FY_E_CONFIG, "TLS: no CA certificate could be read from '%s'%s%s",
                       t->ca_file, rc < 0 ? ": " : "", rc < 0 ? gnutls_strerror(rc) : "");
            goto fail;
        }
    }
    return g;
fail:
    gnutls_certificate_free_credentials(g->cred);
    free(g);
    return NULL;
}

struct fy_tls *fy_tls_new(const struct fy_tls_conf *c, struct fy_err *err)
{
    if (!c->cert_file || !c->cert_file[0]) {
        fy_err_set(err, FY_E_CONFIG, "TLS: a certificate (ssl.keystore.location) is required");
        return NULL;
    }
    if (c->client_auth != FY_TLS_CLIENT_NONE && (!c->ca_file || !c->ca_file[0])) {
        fy_err_set(err, FY_E_CONFIG,
                   "TLS: ssl.client.authentication needs the CA bundle of the clients' "
                   "certificates (ssl.truststore.location)");
        return NULL;
    }
    struct fy_tls *t = fy_calloc(1, sizeof *t);
    if (make_priorities(c->protocols, t->priorities, sizeof t->priorities, err) != 0) {
        free(t);
        return NULL;
    }
    t->cert_file = fy_strdup(c->cert_file);
    t->key_file = dup_or_null(c->key_file);
    t->key_password = dup_or_null(c->key_password);
    t->ca_file = dup_or_null(c->ca_file);
    t->pkcs12 = c->pkcs12;
    t->client_auth = c->client_auth;
    pthread_mutex_init(&t->lock, NULL);
    t->cur = load_gen(t, err);
    if (!t->cur) {
        fy_tls_free(t);
        return NULL;
    }
    t->n_gens = 1;
    return t;
}

int fy_tls_reload(struct fy_tls *t, struct fy_err *err)
{
    struct gen *g = load_gen(t, err);
    if (!g)
        return -1;
    pthread_mutex_lock(&t->lock);
    g->older = t->cur;
    t->cur = g;
    t->n_gens++;
    pthread_mutex_unlock(&t->lock);
    return 0;
}

unsigned fy_tls_generation(const struct fy_tls *t)
{
    return t->n_gens;
}

const char *fy_tls_priorities(const struct fy_tls *t)
{
    return t->priorities;
}

void fy_tls_session_setup(struct fy_tls *t, void *session)
{
    gnutls_session_t s = session;
    pthread_mutex_lock(&t->lock);
    gnutls_certificate_credentials_t cred = t->cur->cred;
    pthread_mutex_unlock(&t->lock);
    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
    switch (t->client_auth) {
    case FY_TLS_CLIENT_NONE:
        gnutls_certificate_server_set_request(s, GNUTLS_CERT_IGNORE);
        return;
    case FY_TLS_CLIENT_REQUESTED:
        gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUEST);
        break;
    case FY_TLS_CLIENT_REQUIRED:
        gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
        break;
    }
}

bool fy_tls_peer_name(void *session, char *name, size_t len)
{
    gnutls_session_t s = session;
    unsigned n = 0, status = 0;
    if (!s || len == 0 || gnutls_certificate_type_get(s) != GNUTLS_CRT_X509)
        return false;
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(s, &n);
    if (!certs || n == 0 || gnutls_certificate_verify_peers2(s, &status) < 0 || status != 0)
        return false;
    gnutls_x509_crt_t crt;
    if (gnutls_x509_crt_init(&crt) < 0)
        return false;
    bool ok = false;
    if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) >= 0) {
        size_t sz = len;
        if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, name, &sz) >= 0) {
            ok = true;
        } else {
            sz = len;
            ok = gnutls_x509_crt_get_dn(crt, name, &sz) >= 0;
        }
    }
    gnutls_x509_crt_deinit(crt);
    if (!ok)
        name[0] = '\0';
    return ok;
}

void fy_tls_free(struct fy_tls *t)
{
    if (!t)
        return;
    for (struct gen *g = t->cur, *next; g; g = next) {
        next = g->older;
        gnutls_certificate_free_credentials(g->cred);
        free(g);
    }
    pthread_mutex_destroy(&t->lock);
    free(t->cert_file);
    free(t->key_file);
    free(t->key_password);
    free(t->ca_file);
    free(t);
}

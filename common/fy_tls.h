/* SPDX-License-Identifier: Apache-2.0
 * fy_tls: server-side TLS material for libmicrohttpd's GnuTLS listeners
 * (ferry serve's https listeners): certificate chain + key from PEM files (or
 * a PKCS#12 keystore), the CA bundle that client certificates must chain to,
 * the client-authentication mode (NONE / REQUESTED / REQUIRED, rest-utils'
 * ssl.client.authentication) and TLS 1.2+ priorities. Credentials form
 * generations: a reload builds a new one that only new connections use, so a
 * certificate rotation (SIGHUP) never drops a connection.
 * Thread: fy_tls_new/reload/free on the main thread; session_setup and
 * peer_name on MHD threads. */
#ifndef FY_TLS_H
#define FY_TLS_H

#include "common/fy_err.h"

#include <stdbool.h>
#include <stddef.h>

enum fy_tls_client_auth {
    FY_TLS_CLIENT_NONE,      /* no certificate asked for */
    FY_TLS_CLIENT_REQUESTED, /* asked for; one that is sent must verify */
    FY_TLS_CLIENT_REQUIRED,  /* the handshake fails without a verified one */
};

struct fy_tls_conf {
    const char *cert_file;    /* PEM certificate chain (leaf first); may also hold the key */
    const char *key_file;     /* PEM private key; NULL or "" = in cert_file */
    const char *key_password; /* for an encrypted (PKCS#8) key or the PKCS#12 file; NULL = none */
    bool pkcs12;              /* cert_file is a PKCS#12 keystore (key_file unused) */
    const char *ca_file;      /* PEM CA bundle client certificates must chain to; NULL = none */
    enum fy_tls_client_auth client_auth;
    const char *protocols;    /* "TLSv1.2,TLSv1.3" (NULL/"" = both); older ones are refused */
};

struct fy_tls;

/* Load the files of `c` (strings copied). A **new** fy_tls, or NULL with
 * FY_E_CONFIG naming the file and GnuTLS's reason (never a password). */
struct fy_tls *fy_tls_new(const struct fy_tls_conf *c, struct fy_err *err);
/* Read the same files again into a new generation, used by connections
 * accepted from now on; open ones keep theirs. On failure (-1, FY_E_CONFIG)
 * the current generation stays. Thread: one caller at a time. */
int fy_tls_reload(struct fy_tls *t, struct fy_err *err);
/* How many times the files were loaded (1 after fy_tls_new). */
unsigned fy_tls_generation(const struct fy_tls *t);
/* GnuTLS priority string (MHD_OPTION_HTTPS_PRIORITIES). Borrowed. */
const char *fy_tls_priorities(const struct fy_tls *t);
/* Give a new server session (a gnutls_session_t, before its handshake) the
 * current generation's credentials and the client-certificate policy.
 * Thread: MHD's, at MHD_CONNECTION_NOTIFY_STARTED. */
void fy_tls_session_setup(struct fy_tls *t, void *session);
/* After the handshake: true when the peer sent a certificate that verified
 * against the CA bundle, with its subject's CN (or, without one, the whole
 * RFC 4514 DN) in `name`. */
bool fy_tls_peer_name(void *session, char *name, size_t len);
/* Free every generation. Only after no session uses them (daemons stopped). */
void fy_tls_free(struct fy_tls *t);

#endif

/* SPDX-License-Identifier: Apache-2.0
 * lnk_client: the destination registry's REST API through libcurl, for one
 * link worker: one easy handle (keep-alive connection reuse), timeouts,
 * retries with exponential backoff and full jitter on transport errors and
 * 5xx, basic auth and TLS. Settings are the exporter's `config` map, with
 * the Confluent SR client's key names:
 *
 *   schema.registry.url                  destination base URL (first of a comma list)
 *   basic.auth.credentials.source        USER_INFO (default) or URL (user:pass@ in the URL)
 *   basic.auth.user.info                 user:password            -> CURLOPT_USERPWD
 *   bearer.auth.token                    static bearer token      -> Authorization: Bearer
 *   schema.registry.ssl.truststore.location  CA bundle, PEM       -> CURLOPT_CAINFO
 *   schema.registry.ssl.keystore.location    client cert (PEM or PKCS12) -> CURLOPT_SSLCERT
 *   schema.registry.ssl.keystore.type        PEM (default) or PKCS12 -> CURLOPT_SSLCERTTYPE
 *   schema.registry.ssl.keystore.password    -> CURLOPT_KEYPASSWD (PKCS12 password)
 *   schema.registry.ssl.key.location         client key, PEM (ferry) -> CURLOPT_SSLKEY
 *   schema.registry.ssl.key.password         -> CURLOPT_KEYPASSWD (wins over keystore's)
 *   schema.registry.ssl.endpoint.identification.algorithm  "" -> no host name check
 *   request.timeout.ms (30000)           -> CURLOPT_TIMEOUT_MS
 *   connect.timeout.ms (5000)            -> CURLOPT_CONNECTTIMEOUT_MS
 *   max.retries (3), retries.wait.ms (100), retries.max.wait.ms (2000)
 *   max.in.flight (8, 1..64)             concurrent requests of the exporter's worker:
 *                                        one client (connection) per lane (lnk_worker.c)
 * Java keystores (JKS) cannot be read by libcurl: convert them to PEM.
 * Other keys are accepted and ignored (SR clients take many).
 * Thread: one owner (its worker) at a time. */
#ifndef LNK_CLIENT_H
#define LNK_CLIENT_H

#include "common/fy_err.h"

#include <jansson.h>
#include <stdatomic.h>

struct lnk_client;

/* Call once at startup, before any thread uses libcurl. */
void lnk_client_global_init(void);
void lnk_client_global_cleanup(void);

/* A client for the settings in `config` (borrowed; values copied).
 * NULL with 42250 when a setting is invalid. */
struct lnk_client *lnk_client_new(json_t *config, struct fy_err *err);
void lnk_client_free(struct lnk_client *cl);

/* One request: `path` (already percent-encoded, starting with '/') is
 * appended to the base URL, `body` (compact JSON or NULL) is sent with the
 * Confluent content type. Transport errors and 5xx answers are retried
 * (max.retries, backoff with jitter). Returns 0 when the server answered
 * below 500: *status and *resp (**new** parsed JSON, or NULL when the body is
 * not JSON) are set and the caller judges the status. Returns -1 with
 * FY_E_HTTP (libcurl's error text, or the status and error body of the last
 * 5xx) when every attempt failed. */
int lnk_client_call(struct lnk_client *cl, const char *method, const char *path,
                    const char *body, long *status, json_t **resp, struct fy_err *err);

/* GET `path` as lnk_client_call does, for a body that is not JSON
 * (Prometheus text of /metrics): 0 with *text a **new** NUL-terminated
 * string (may be empty) and *status, or -1 with FY_E_HTTP. */
int lnk_client_get_text(struct lnk_client *cl, const char *path, long *status, char **text,
                        struct fy_err *err);

/* GET a listing endpoint (/schemas, /subjects: servers cap a page, Confluent
 * at schema.search.max.limit = 1000) page by page: `path` with or without a
 * query, `page` entries per request (offset/limit appended) until a short
 * page. Offset paging is no snapshot (a delete between pages shifts them):
 * the whole listing is read again until two passes in a row are equal, at
 * most LNK_LIST_PASSES. 0 with the concatenated array (**new**) in *out; -1
 * with FY_E_HTTP naming the status and the server's message when a page is
 * not 200, or when the listing never held still. */
#define LNK_LIST_PASSES 5
/* The page size of lnk_client_get_all for Confluent-compatible servers. */
#define LNK_LIST_PAGE 1000

int lnk_client_get_all(struct lnk_client *cl, const char *path, size_t page, json_t **out,
                       struct fy_err *err);

/* Abort transfers (and skip retries) as soon as `*flag` is true: a stopping
 * worker must not wait out connect and request timeouts of an unreachable
 * destination. `flag` is borrowed and must outlive the client; NULL = never.
 * A call aborted this way fails with FY_E_HTTP. */
void lnk_client_set_abort(struct lnk_client *cl, const atomic_bool *flag);

/* The base URL (borrowed, valid while `cl` lives). */
const char *lnk_client_url(const struct lnk_client *cl);

/* Test hook: the delay before retry `attempt` (1-based) under the client's
 * backoff settings, with full jitter drawn from `rnd` (0..1). */
long lnk_client_backoff_ms(const struct lnk_client *cl, int attempt, double rnd);

#endif

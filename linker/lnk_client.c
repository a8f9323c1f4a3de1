/* SPDX-License-Identifier: Apache-2.0
 * lnk_client: libcurl client of a destination registry (see lnk_client.h).
 * One easy handle per client keeps its connection alive between requests;
 * libcurl's error text goes through CURLOPT_ERRORBUFFER into FY_E_HTTP. */
#include "linker/lnk_client.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "common/fy_log.h"
#include "common/fy_secret.h"
#include "linker/lnk_exporter.h"

#include <curl/curl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CT_V1 "application/vnd.schemaregistry.v1+json"
#define MAX_ANSWER ((size_t)64 << 20)

struct lnk_client {
    CURL *h;
    struct curl_slist *headers;
    char *base;         /* URL without a trailing '/' */
    char *shown;        /* base with a password in it masked: for messages and reports */
    char *userpwd;
    char *cainfo, *cert, *cert_type, *key, *keypass;
    long timeout_ms, connect_timeout_ms;
    int max_retries;
    long wait_ms, max_wait_ms;
    bool verify_host;
    char errbuf[CURL_ERROR_SIZE];
    unsigned int seed;
    const atomic_bool *abort; /* borrowed; NULL = never */
};

void lnk_client_global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void lnk_client_global_cleanup(void)
{
    curl_global_cleanup();
}

static const char *cfg(json_t *config, const char *key)
{
    return json_string_value(json_object_get(config, key));
}

static long cfg_long(json_t *config, const char *key, long def)
{
    const char *s = cfg(config, key);
    return s ? strtol(s, NULL, 10) : def; /* range-checked by lnk_def_check_config */
}

struct lnk_client *lnk_client_new(json_t *config, struct fy_err *err)
{
    if (lnk_def_check_config(config, err) != 0)
        return NULL;
    struct lnk_client *cl = fy_calloc(1, sizeof *cl);
    const char *url = cfg(config, "schema.registry.url");
    size_t len = strcspn(url, ",");
    while (len > 0 && url[len - 1] == '/')
        len--;
    cl->base = fy_strndup(url, len);
    cl->shown = fy_secret_url_redact(cl->base);
    const char *src = cfg(config, "basic.auth.credentials.source");
    const char *ui = cfg(config, "basic.auth.user.info");
    if (ui && (!src || strcasecmp(src, "USER_INFO") == 0))
        cl->userpwd = fy_strdup(ui);
    cl->cainfo = fy_strdup(cfg(config, "schema.registry.ssl.truststore.location"));
    cl->cert = fy_strdup(cfg(config, "schema.registry.ssl.keystore.location"));
    const char *kt = cfg(config, "schema.registry.ssl.keystore.type");
    cl->cert_type = fy_strdup(kt && strcasecmp(kt, "PKCS12") == 0 ? "P12" : NULL);
    cl->key = fy_strdup(cfg(config, "schema.registry.ssl.key.location"));
    const char *kp = cfg(config, "schema.registry.ssl.key.password");
    cl->keypass = fy_strdup(kp ? kp : cfg(config, "schema.registry.ssl.keystore.password"));
    const char *eia = cfg(config, "schema.registry.ssl.endpoint.identification.algorithm");
    cl->verify_host = !(eia && !eia[0]);
    cl->timeout_ms = cfg_long(config, "request.timeout.ms", 30000);
    cl->connect_timeout_ms = cfg_long(config, "connect.timeout.ms", 5000);
    cl->max_retries = (int)cfg_long(config, "max.retries", 3);
    cl->wait_ms = cfg_long(config, "retries.wait.ms", 100);
    cl->max_wait_ms = cfg_long(config, "retries.max.wait.ms", 2000);
    cl->seed = (unsigned int)time(NULL) ^ (unsigned int)(uintptr_t)cl;

    cl->headers = curl_slist_append(NULL, "Content-Type: " CT_V1);
    cl->headers = curl_slist_append(cl->headers, "Accept: " CT_V1);
    cl->headers = curl_slist_append(cl->headers, "Expect:"); /* no 100-continue round trip */
    const char *bearer = cfg(config, "bearer.auth.token");
    if (bearer) {
        char *h = fy_asprintf("Authorization: Bearer %s", bearer);
        cl->headers = curl_slist_append(cl->headers, h);
        free(h);
    }
    cl->h = curl_easy_init();
    if (!cl->h) {
        lnk_client_free(cl);
        fy_err_set(err, FY_E_HTTP, "curl_easy_init failed");
        return NULL;
    }
    return cl;
}

void lnk_client_free(struct lnk_client *cl)
{
    if (!cl)
        return;
    if (cl->h)
        curl_easy_cleanup(cl->h);
    curl_slist_free_all(cl->headers);
    free(cl->base);
    free(cl->shown);
    free(cl->userpwd);
    free(cl->cainfo);
    free(cl->cert);
    free(cl->cert_type);
    free(cl->key);
    free(cl->keypass);
    free(cl);
}

void lnk_client_set_abort(struct lnk_client *cl, const atomic_bool *flag)
{
    cl->abort = flag;
}

static bool aborted(const struct lnk_client *cl)
{
    return cl->abort && atomic_load(cl->abort);
}

/* libcurl calls this about once a second, and more often while data moves,
 * from the connect phase on: non-zero aborts the transfer. */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return aborted(arg) ? 1 : 0;
}

/* One pass over the pages of `path`. */
static int get_pages(struct lnk_client *cl, const char *path, size_t page, json_t **out,
                     struct fy_err *err)
{
    json_t *all = json_array();
    const char *sep = strchr(path, '?') ? "&" : "?";
    for (size_t offset = 0;; offset += page) {
        char *p = fy_asprintf("%s%soffset=%zu&limit=%zu", path, sep, offset, page);
        long status = 0;
        json_t *ans = NULL;
        int rc = lnk_client_call(cl, "GET", p, NULL, &status, &ans, err);
        if (rc == 0 && (status != 200 || !json_is_array(ans))) {
            const char *m = json_string_value(json_object_get(ans, "message"));
            fy_err_set(err, FY_E_HTTP, "GET %s answered HTTP %ld: %s", p, status, m ? m : "");
            rc = -1;
        }
        free(p);
        if (rc != 0) {
            json_decref(ans);
            json_decref(all);
            return -1;
        }
        size_t n = json_array_size(ans);
        json_array_extend(all, ans);
        json_decref(ans);
        if (n < page)
            break;
    }
    *out = all;
    return 0;
}

int lnk_client_get_all(struct lnk_client *cl, const char *path, size_t page, json_t **out,
                       struct fy_err *err)
{
    /* Offset paging is not a snapshot: a delete (or an insert) between two
     * pages shifts the later ones, so one pass can skip an entry or list one
     * twice. Nobody may plan from that: pass again until two passes in a row
     * agree (a change between pages makes them differ). */
    json_t *prev = NULL;
    for (int pass = 0; pass < LNK_LIST_PASSES; pass++) {
        json_t *cur = NULL;
        if (get_pages(cl, path, page, &cur, err) != 0) {
            json_decref(prev);
            return -1;
        }
        if (prev && json_equal(prev, cur)) {
            json_decref(prev);
            *out = cur;
            return 0;
        }
        json_decref(prev);
        prev = cur;
    }
    json_decref(prev);
    return fy_err_set(err, FY_E_HTTP, "GET %s kept changing between pages in %d passes; "
                      "try again when the server is quieter", path, LNK_LIST_PASSES);
}

const char *lnk_client_url(const struct lnk_client *cl)
{
    return cl->shown;
}

long lnk_client_backoff_ms(const struct lnk_client *cl, int attempt, double rnd)
{
    /* exponential with full jitter (AWS architecture blog): uniform in
     * [cap/2, cap] so a retry never comes back immediately */
    long cap = cl->wait_ms;
    for (int i = 1; i < attempt && cap < cl->max_wait_ms; i++)
        cap *= 2;
    if (cap > cl->max_wait_ms)
        cap = cl->max_wait_ms;
    return cap / 2 + (long)((double)(cap - cap / 2) * rnd);
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct fy_buf *b = arg;
    if (fy_buf_append(b, ptr, size * nmemb) != 0)
        return 0; /* over the cap: libcurl aborts the transfer */
    return size * nmemb;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One attempt: 0 with the status, -1 with FY_E_HTTP on a transport error. */
static int attempt_once(struct lnk_client *cl, const char *method, const char *url,
                        const char *shown, const char *body, struct fy_buf *ans, long *status,
                        struct fy_err *err)
{
    CURL *h = cl->h;
    curl_easy_reset(h); /* keeps the connection cache: keep-alive survives */
    cl->errbuf[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS timeouts */
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cl->errbuf);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, cl->headers);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, cl->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, cl->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, ans);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (cl->abort) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, cl);
    }
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
    }
    if (cl->userpwd) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERPWD, cl->userpwd);
    }
    if (cl->cainfo)
        curl_easy_setopt(h, CURLOPT_CAINFO, cl->cainfo);
    if (cl->cert)
        curl_easy_setopt(h, CURLOPT_SSLCERT, cl->cert);
    if (cl->cert_type)
        curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, cl->cert_type);
    if (cl->key)
        curl_easy_setopt(h, CURLOPT_SSLKEY, cl->key);
    if (cl->keypass)
        curl_easy_setopt(h, CURLOPT_KEYPASSWD, cl->keypass);
    if (!cl->verify_host)
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    CURLcode cc = curl_easy_perform(h);
    if (cc != CURLE_OK)
        return fy_err_set(err, FY_E_HTTP, "%s %s: %s", method, shown,
                          cl->errbuf[0] ? cl->errbuf : curl_easy_strerror(cc));
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    return 0;
}

/* A 5xx answer: its Confluent error_code and message when it has them, never
 * the raw body (a proxy's error page may echo the request, credentials included). */
static void answer_error(struct fy_err *err, const char *method, const char *shown, long status,
                         const struct fy_buf *ans)
{
    json_t *j = ans->len ? json_loadb(ans->data, ans->len, 0, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(j, "message"));
    json_t *code = json_object_get(j, "error_code");
    if (msg)
        fy_err_set(err, FY_E_HTTP, "%s %s: HTTP %ld error_code %lld: %.160s", method, shown,
                   status, (long long)json_integer_value(code), msg);
    else
        fy_err_set(err, FY_E_HTTP, "%s %s: HTTP %ld (%zu bytes, not a registry error)", method,
                   shown, status, ans->len);
    json_decref(j);
}

/* The retry loop of every call: 0 with *status < 500 and the body in `ans`. */
static int call_raw(struct lnk_client *cl, const char *method, const char *path,
                    const char *body, long *status, struct fy_buf *ans, struct fy_err *err)
{
    char *url = fy_asprintf("%s%s", cl->base, path);
    char *shown = fy_asprintf("%s%s", cl->shown, path);
    int rc = -1;
    *status = 0;
    for (int attempt = 0;; attempt++) {
        fy_buf_reset(ans);
        fy_err_clear(err);
        if (attempt_once(cl, method, url, shown, body, ans, status, err) == 0) {
            if (*status < 500) {
                rc = 0;
                break;
            }
            answer_error(err, method, shown, *status, ans);
        }
        if (attempt >= cl->max_retries || aborted(cl))
            break;
        double rnd = (double)rand_r(&cl->seed) / (double)RAND_MAX;
        sleep_ms(lnk_client_backoff_ms(cl, attempt + 1, rnd));
    }
    free(url);
    free(shown);
    return rc;
}

int lnk_client_call(struct lnk_client *cl, const char *method, const char *path,
                    const char *body, long *status, json_t **resp, struct fy_err *err)
{
    struct fy_buf ans;
    fy_buf_init(&ans, MAX_ANSWER);
    *resp = NULL;
    int rc = call_raw(cl, method, path, body, status, &ans, err);
    if (rc == 0 && ans.len)
        *resp = json_loadb(ans.data, ans.len, JSON_DECODE_ANY, NULL);
    fy_buf_destroy(&ans);
    return rc;
}

int lnk_client_get_text(struct lnk_client *cl, const char *path, long *status, char **text,
                        struct fy_err *err)
{
    struct fy_buf ans;
    fy_buf_init(&ans, MAX_ANSWER);
    *text = NULL;
    int rc = call_raw(cl, "GET", path, NULL, status, &ans, err);
    if (rc == 0)
        *text = fy_buf_steal(&ans);
    fy_buf_destroy(&ans);
    return rc;
}

/* SPDX-License-Identifier: Apache-2.0
 * fy_secret: masking, URL redaction and sealing of credentials (see fy_secret.h).
 * A sealed value is "ENC:v1:" + base64(nonce[12] | ciphertext | tag[16]) of
 * AES-256-GCM, with the setting's name as associated data, so a sealed value
 * cannot be moved to another setting unnoticed. A handle per operation: GnuTLS
 * does not promise that one AEAD handle may be used by two threads at once. */
#include "common/fy_secret.h"

#include "common/fy_alloc.h"

#include <ctype.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SEALED "ENC:v1:"
#define NONCE 12
#define TAG 16
#define KEY 32

struct fy_secret_box {
    unsigned char key[KEY];
};

static bool contains_nocase(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (; *s; s++)
        if (strncasecmp(s, word, n) == 0)
            return true;
    return false;
}

bool fy_secret_key_sensitive(const char *key)
{
    static const char *const words[] = {"password", "secret", "token", "user.info",
                                        "sasl.jaas.config", "credentials.json", NULL};
    for (size_t i = 0; key && words[i]; i++)
        if (contains_nocase(key, words[i]))
            return true;
    return false;
}

/* The user:password@ part of a URL: [*from, *to) spans the password. */
static bool url_password(const char *url, size_t *from, size_t *to)
{
    const char *s = url ? strstr(url, "://") : NULL;
    if (!s)
        return false;
    s += 3;
    size_t auth = strcspn(s, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < auth; i++)
        if (s[i] == '@')
            at = s + i; /* the last '@' before the path ends the user info */
    if (!at)
        return false;
    const char *colon = memchr(s, ':', (size_t)(at - s));
    if (!colon)
        return false;
    *from = (size_t)(colon + 1 - url);
    *to = (size_t)(at - url);
    return true;
}

char *fy_secret_url_redact(const char *url)
{
    if (!url)
        return NULL;
    size_t from, to;
    if (!url_password(url, &from, &to))
        return fy_strdup(url);
    return fy_asprintf("%.*s%s%s", (int)from, url, FY_SECRET_MASK, url + to);
}

bool fy_secret_value_sensitive(const char *key, const char *value)
{
    size_t from, to;
    return fy_secret_key_sensitive(key) || (value && url_password(value, &from, &to));
}

json_t *fy_secret_mask_config(json_t *config)
{
    json_t *out = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(config, k, v) {
        const char *s = json_string_value(v);
        if (s && fy_secret_key_sensitive(k)) {
            json_object_set_new(out, k, json_string(FY_SECRET_MASK));
        } else if (s && fy_secret_value_sensitive(k, s)) {
            char *r = fy_secret_url_redact(s);
            json_object_set_new(out, k, json_string(r));
            free(r);
        } else {
            json_object_set(out, k, v);
        }
    }
    return out;
}

void fy_secret_unmask_config(json_t *config, json_t *cur)
{
    const char *k;
    json_t *v;
    json_object_foreach(config, k, v) {
        const char *s = json_string_value(v);
        const char *old = json_string_value(json_object_get(cur, k));
        if (!s || !old)
            continue;
        char *r = fy_secret_url_redact(old);
        bool keep = (strcmp(s, FY_SECRET_MASK) == 0 && fy_secret_key_sensitive(k)) ||
                    (strcmp(s, r) == 0 && strcmp(r, old) != 0);
        free(r);
        if (keep)
            json_object_set_new(config, k, json_string(old));
    }
}

/* ---- the at-rest key */

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* 32 raw bytes, 64 hex digits or base64 of 32 bytes -> key; -1 otherwise. */
static int parse_key(const unsigned char *text, size_t len, unsigned char *key)
{
    while (len && isspace(text[len - 1]))
        len--;
    if (len == KEY) {
        memcpy(key, text, KEY);
        return 0;
    }
    if (len == 2 * KEY) {
        for (size_t i = 0; i < KEY; i++) {
            int hi = hexval(text[2 * i]), lo = hexval(text[2 * i + 1]);
            if (hi < 0 || lo < 0)
                return -1;
            key[i] = (unsigned char)(hi * 16 + lo);
        }
        return 0;
    }
    gnutls_datum_t in = {.data = (unsigned char *)text, .size = (unsigned)len}, out = {0};
    if (gnutls_base64_decode2(&in, &out) < 0)
        return -1;
    int rc = out.size == KEY ? 0 : -1;
    if (rc == 0)
        memcpy(key, out.data, KEY);
    gnutls_memset(out.data, 0, out.size);
    gnutls_free(out.data);
    return rc;
}

int fy_secret_box_new(const char *key_file, const char *env_name, struct fy_secret_box **out,
                      struct fy_err *err)
{
    *out = NULL;
    unsigned char buf[256];
    size_t len = 0;
    const char *what;
    if (key_file && key_file[0]) {
        what = key_file;
        FILE *f = fopen(key_file, "rb");
        if (!f)
            return fy_err_set(err, FY_E_CONFIG, "cannot open the secrets key file %s: %s",
                              key_file, strerror(errno));
        len = fread(buf, 1, sizeof buf, f);
        fclose(f);
    } else {
        const char *env = env_name ? getenv(env_name) : NULL;
        if (!env || !env[0])
            return 0;
        what = env_name;
        len = strlen(env);
        if (len > sizeof buf)
            len = sizeof buf;
        memcpy(buf, env, len);
    }
    struct fy_secret_box *box = fy_calloc(1, sizeof *box);
    int rc = parse_key(buf, len, box->key);
    gnutls_memset(buf, 0, sizeof buf);
    if (rc != 0) {
        free(box);
        return fy_err_set(err, FY_E_CONFIG,
                          "the secrets key (%s) must be 32 bytes: raw, 64 hex digits or base64",
                          what);
    }
    *out = box;
    return 0;
}

void fy_secret_box_free(struct fy_secret_box *box)
{
    if (!box)
        return;
    gnutls_memset(box, 0, sizeof *box);
    free(box);
}

static gnutls_aead_cipher_hd_t aead(const struct fy_secret_box *box)
{
    gnutls_aead_cipher_hd_t h = NULL;
    gnutls_datum_t k = {.data = (unsigned char *)box->key, .size = KEY};
    if (gnutls_aead_cipher_init(&h, GNUTLS_CIPHER_AES_256_GCM, &k) < 0)
        return NULL;
    return h;
}

/* **new** sealed text, or NULL when the cipher is not available. */
static char *seal(const struct fy_secret_box *box, const char *name, const char *plain)
{
    gnutls_aead_cipher_hd_t h = aead(box);
    if (!h)
        return NULL;
    size_t plen = strlen(plain), clen = plen + TAG;
    unsigned char *buf = fy_malloc(NONCE + clen);
    char *out = NULL;
    if (gnutls_rnd(GNUTLS_RND_NONCE, buf, NONCE) == 0 &&
        gnutls_aead_cipher_encrypt(h, buf, NONCE, name, strlen(name), TAG, plain, plen,
                                   buf + NONCE, &clen) == 0) {
        gnutls_datum_t in = {.data = buf, .size = (unsigned)(NONCE + clen)}, b64 = {0};
        if (gnutls_base64_encode2(&in, &b64) == 0) {
            out = fy_asprintf("%s%.*s", SEALED, (int)b64.size, (const char *)b64.data);
            gnutls_free(b64.data);
        }
    }
    gnutls_aead_cipher_deinit(h);
    free(buf);
    return out;
}

void fy_secret_seal_config(const struct fy_secret_box *box, json_t *config)
{
    if (!box)
        return;
    const char *k;
    json_t *v;
    json_object_foreach(config, k, v) {
        const char *s = json_string_value(v);
        if (!s || strncmp(s, SEALED, strlen(SEALED)) == 0 || !fy_secret_value_sensitive(k, s))
            continue;
        char *sealed = seal(box, k, s);
        if (sealed)
            json_object_set_new(config, k, json_string(sealed));
        free(sealed);
    }
}

static char *open_one(const struct fy_secret_box *box, const char *name, const char *text)
{
    const char *b64 = text + strlen(SEALED);
    gnutls_datum_t in = {.data = (unsigned char *)b64, .size = (unsigned)strlen(b64)}, raw = {0};
    if (gnutls_base64_decode2(&in, &raw) < 0)
        return NULL;
    char *out = NULL;
    gnutls_aead_cipher_hd_t h = raw.size >= NONCE + TAG ? aead(box) : NULL;
    if (h) {
        size_t plen = raw.size - NONCE;
        char *p = fy_calloc(1, plen + 1);
        if (gnutls_aead_cipher_decrypt(h, raw.data, NONCE, name, strlen(name), TAG,
                                       raw.data + NONCE, raw.size - NONCE, p, &plen) == 0) {
            p[plen] = '\0';
            out = p;
        } else {
            free(p);
        }
        gnutls_aead_cipher_deinit(h);
    }
    gnutls_free(raw.data);
    return out;
}

int fy_secret_open_config(const struct fy_secret_box *box, json_t *config, struct fy_err *err)
{
    const char *k;
    json_t *v;
    json_object_foreach(config, k, v) {
        const char *s = json_string_value(v);
        if (!s || strncmp(s, SEALED, strlen(SEALED)) != 0)
            continue;
        char *plain = box ? open_one(box, k, s) : NULL;
        if (!plain)
            return fy_err_set(err, FY_E_CONFIG,
                              "setting '%s' is sealed and %s", k,
                              box ? "does not open with the configured key (another key, or "
                                    "changed)"
                                  : "no secrets key is configured (ferry.secrets.key.file or "
                                    "FERRY_SECRETS_KEY)");
        json_object_set_new(config, k, json_string(plain));
        gnutls_memset(plain, 0, strlen(plain));
        free(plain);
    }
    return 0;
}

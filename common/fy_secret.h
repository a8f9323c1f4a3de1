/* SPDX-License-Identifier: Apache-2.0
 * fy_secret: credentials inside client settings (exporter configs: basic.auth.user.info,
 * bearer.auth.token, *password*, *secret*, sasl.jaas.config, a password inside a URL).
 * Three uses: masking for display (GET /exporters/{name}/config), redacting URLs in
 * logs and error messages, and sealing at rest (AES-256-GCM through GnuTLS, with a
 * key from a file or an environment variable) so the journal never holds them in
 * clear once a key is configured; values written before stay readable.
 * Thread: any (a box is read-only after fy_secret_box_new). */
#ifndef FY_SECRET_H
#define FY_SECRET_H

#include "common/fy_err.h"

#include <jansson.h>
#include <stdbool.h>

#define FY_SECRET_MASK "********"

/* `key` names a credential (password, secret, token, user.info, sasl.jaas.config). */
bool fy_secret_key_sensitive(const char *key);
/* `url` with a user:password@ part replaced by user:********@ (**new**; a copy
 * of `url` when it has none; NULL for NULL). */
char *fy_secret_url_redact(const char *url);
/* Has `value` of setting `key` a credential in it (sensitive key, or a URL with a password)? */
bool fy_secret_value_sensitive(const char *key, const char *value);

/* A **new** copy of the config object with every credential masked
 * (FY_SECRET_MASK, URLs redacted). */
json_t *fy_secret_mask_config(json_t *config);
/* For a config sent back after a masked read: in `config` (modified), every
 * value that is the mask (or the redacted form of the current URL) takes the
 * current value from `cur` (borrowed; may be NULL). */
void fy_secret_unmask_config(json_t *config, json_t *cur);

struct fy_secret_box;

/* The at-rest key: `key_file` (32 raw bytes, or 64 hex digits, or base64 of 32
 * bytes; NULL/"" = none) or else the environment variable `env_name`. 0 with
 * *out (NULL when neither is set: no sealing), or -1 with FY_E_CONFIG. */
int fy_secret_box_new(const char *key_file, const char *env_name, struct fy_secret_box **out,
                      struct fy_err *err);
void fy_secret_box_free(struct fy_secret_box *box);
/* Seal every credential of the config object in place ("ENC:v1:<base64>", the
 * setting's name bound as associated data). A NULL box leaves it as it is. */
void fy_secret_seal_config(const struct fy_secret_box *box, json_t *config);
/* Open every sealed value in place; clear values pass through (written before
 * a key was set). -1 with FY_E_CONFIG when a value is sealed and `box` is NULL
 * or holds another key. */
int fy_secret_open_config(const struct fy_secret_box *box, json_t *config, struct fy_err *err);

#endif

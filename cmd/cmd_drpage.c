/* SPDX-License-Identifier: Apache-2.0
 * cmd_drpage: `ferry serve`'s DR status page over a dr.properties file
 * (cmd_drpage.h). Thread: main; the sampler calls lnk_dr_status. */
#include "cmd/cmd_drpage.h"

#include "cmd/cmd_drconf.h"
#include "common/fy_alloc.h"
#include "common/fy_statuspage.h"
#include "linker/lnk_dr.h"

#include <stdlib.h>

/* the page samples this often: an hour of history is 720 samples */
#define DRPAGE_INTERVAL_MS 5000

struct cmd_drpage {
    struct cmd_drconf conf;
    struct lnk_dr_conf dc;
    struct lnk_dr d;
    struct fy_statuspage *page;
};

static json_t *doc(void *arg, int64_t now_ms)
{
    struct cmd_drpage *p = arg;
    return lnk_dr_status(&p->d, now_ms);
}

struct cmd_drpage *cmd_drpage_start(const char *path, struct fy_err *err)
{
    struct cmd_drpage *p = fy_calloc(1, sizeof *p);
    if (cmd_drconf_load(path, &p->conf, err) != 0) {
        free(p);
        return NULL;
    }
    p->dc = (struct lnk_dr_conf){
        .dr = p->conf.dr,
        .primary = json_object_get(p->conf.primary, "schema.registry.url") ? p->conf.primary
                                                                           : NULL,
        .mirror = p->conf.mirror,
        .scopes = (const char *const *)p->conf.scopes,
        .n_scopes = p->conf.n_scopes,
        .primary_scopes = (const char *const *)p->conf.primary_scopes,
        .n_primary_scopes = p->conf.n_primary_scopes,
        .exporter = p->conf.exporter,
    };
    if (lnk_dr_open(&p->d, &p->dc, err) != 0 ||
        !(p->page = fy_statuspage_start(doc, p, DRPAGE_INTERVAL_MS, err))) {
        lnk_dr_close(&p->d);
        cmd_drconf_destroy(&p->conf);
        free(p);
        return NULL;
    }
    return p;
}

struct fy_statuspage *cmd_drpage_page(struct cmd_drpage *p)
{
    return p ? p->page : NULL;
}

void cmd_drpage_stop(struct cmd_drpage *p)
{
    if (!p)
        return;
    fy_statuspage_stop(p->page);
    lnk_dr_close(&p->d);
    cmd_drconf_destroy(&p->conf);
    free(p);
}

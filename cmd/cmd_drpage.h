/* SPDX-License-Identifier: Apache-2.0
 * cmd_drpage: the status page of `ferry serve` (ferry.dr.config=FILE): the
 * dr.properties FILE (cmd_drconf.h) gathered by lnk_dr_status every few
 * seconds into a fy_statuspage, which fy_obs serves at /dr and /dr.json
 * behind the same authentication as /metrics.
 * Thread: main for start/stop; the page's sampler thread owns the clients. */
#ifndef CMD_DRPAGE_H
#define CMD_DRPAGE_H

#include "common/fy_err.h"

struct cmd_drpage;
struct fy_statuspage;

/* Load `path` and start sampling. A **new** page, or NULL with err
 * (FY_E_CONFIG naming the file and key). */
struct cmd_drpage *cmd_drpage_start(const char *path, struct fy_err *err);
/* The page to hand to fy_obs (borrowed, valid until cmd_drpage_stop). */
struct fy_statuspage *cmd_drpage_page(struct cmd_drpage *p);
/* Stop the sampler and free. NULL is a no-op. */
void cmd_drpage_stop(struct cmd_drpage *p);

#endif

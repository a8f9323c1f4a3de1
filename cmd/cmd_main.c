/* SPDX-License-Identifier: Apache-2.0
 * cmd_main: global flags (--help, --version) and subcommand dispatch. */
#include "cmd/cmd.h"

#include "common/fy_alloc.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: ferry <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve      run the schema registry (Confluent Schema Registry REST API)\n"
    "  mirror     mirror topics between Kafka clusters (status|pause|resume|failover|promote)\n"
    "  link       standalone schema link between two Confluent-API registries (REST polling)\n"
    "  failover   switch a DR registry's imported schemas to READWRITE (pauses the link)\n"
    "  failback   bring DR's outage-time schemas back to the primary, restore the link\n"
    "  dr         topics and schemas together: status, failover [--planned]\n"
    "  store      check or repair the embedded store's journal (check|repair)\n"
    "  passwd     print a user-file line (bcrypt hash) for a password read from stdin\n"
    "\n"
    "ferry --version    print the version\n"
    "ferry <command> --help\n";

int cmd_main(int argc, char **argv)
{
    fy_alloc_init();
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("ferry %s\n", FERRY_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "serve") == 0)
        return cmd_serve(argc - 2, argv + 2);
    if (strcmp(argv[1], "mirror") == 0)
        return cmd_mirror(argc - 2, argv + 2);
    if (strcmp(argv[1], "link") == 0)
        return cmd_link(argc - 2, argv + 2);
    if (strcmp(argv[1], "failover") == 0)
        return cmd_failover(argc - 2, argv + 2);
    if (strcmp(argv[1], "failback") == 0)
        return cmd_failback(argc - 2, argv + 2);
    if (strcmp(argv[1], "dr") == 0)
        return cmd_dr(argc - 2, argv + 2);
    if (strcmp(argv[1], "store") == 0)
        return cmd_store(argc - 2, argv + 2);
    if (strcmp(argv[1], "passwd") == 0)
        return cmd_passwd(argc - 2, argv + 2);
    fprintf(stderr, "ferry: unknown command '%s'\n%s", argv[1], usage);
    return 2;
}

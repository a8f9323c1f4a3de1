/* SPDX-License-Identifier: Apache-2.0
 * ferry: subcommand dispatch only. */
#include "cmd/cmd.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    return cmd_main(argc, argv);
}

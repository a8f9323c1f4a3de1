/* SPDX-License-Identifier: Apache-2.0
 * cmd_passwd: `ferry passwd --user NAME [--roles r1,r2] [--hash bcrypt|sha512|md5|plain]`
 * reads the password (one line) from standard input and prints the user-file
 * line for it (`NAME: CRYPT:$2b$...,r1,r2`), in Jetty's PropertyFileLoginModule
 * format that ferry serve's ferry.auth.user.file (and Confluent's) reads.
 * Thread: main only. */
#include "cmd/cmd.h"

#include "common/fy_alloc.h"
#include "common/fy_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: ferry passwd --user NAME [--roles ROLE,...] [--hash bcrypt|sha512|md5|plain]\n"
          "\n"
          "Reads a password (one line) from standard input and prints the line of a user file\n"
          "(ferry.auth.user.file; Jetty's PropertyFileLoginModule format) for it:\n"
          "  NAME: CRYPT:$2b$...,ROLE,...\n"
          "The default hash is bcrypt; md5 is Jetty's MD5: form (weak, for old files).\n",
          f);
}

int cmd_passwd(int argc, char **argv)
{
    const char *user = NULL, *roles = NULL, *hash = "bcrypt";
    const struct cmd_flag flags[] = {
        {"--user", &user, NULL}, {"--roles", &roles, NULL}, {"--hash", &hash, NULL}};
    int frc = cmd_flags_parse("passwd", argc, argv, flags, sizeof flags / sizeof flags[0], usage);
    if (frc != 0)
        return frc > 0 ? 0 : 2;
    if (!user || !user[0] || strpbrk(user, ":= \t,")) {
        fputs("ferry passwd: --user NAME is required (no ':', '=', ',' or blanks)\n", stderr);
        return 2;
    }
    char line[1024];
    if (!fgets(line, sizeof line, stdin)) {
        fputs("ferry passwd: no password on standard input\n", stderr);
        return 2;
    }
    line[strcspn(line, "\r\n")] = '\0';
    struct fy_err err = {0};
    char *cred = fy_auth_credential_new(hash, line, &err);
    explicit_bzero(line, sizeof line);
    if (!cred) {
        fprintf(stderr, "ferry passwd: %s\n", fy_err_text(&err));
        fy_err_destroy(&err);
        return 2;
    }
    printf("%s: %s%s%s\n", user, cred, roles && roles[0] ? "," : "", roles ? roles : "");
    free(cred);
    return 0;
}

/* SPDX-License-Identifier: Apache-2.0
 * fy_version: the release and commit ferry was built from, for every layer
 * that reports them (`ferry --version`, GET /v1/metadata/version, the start
 * log line). FERRY_COMMIT comes from the Makefile (git rev-parse). */
#ifndef FY_VERSION_H
#define FY_VERSION_H

#define FERRY_VERSION "0.1.0"
#ifndef FERRY_COMMIT
#define FERRY_COMMIT "unknown"
#endif

#endif

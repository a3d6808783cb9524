/*
 * redact: replaces secrets inside a task object with "***" before it is rendered: the VCN
 * password, header values of RESTful inputs and webhook outputs, and any member named like a
 * password, secret, token, credential or key. api-layer private (cJSON types).
 */
#ifndef VIASFS_REDACT_H
#define VIASFS_REDACT_H

#include <cjson/cJSON.h>

/* Redacts in place. Tolerates any shape: members of unexpected types are left alone. */
void redact_task_secrets(cJSON *task);

#endif

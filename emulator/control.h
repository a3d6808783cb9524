/* control: the emulator's own interface for tests, under /_emulator/.
 *
 * No authentication, JSON bodies, never counted in the stats and never faulted. It changes
 * the data set (add, delete, edit, change state), the faults, the churn rate, the delays of
 * the task control calls, revokes the issued IAM tokens, and reads the counters and the
 * record of control requests. emulator/README.md documents every call. Unknown
 * paths answer 404 and wrong methods 405, both with {"error":...}. */
#pragma once

#include "emulator.h"
#include "reply.h"
#include "request.h"

/* The path prefix of the control interface. */
#define CONTROL_PREFIX "/_emulator"

/* Answers control request r into out. */
void control_handle(struct emulator *e, struct request *r, struct reply *out);

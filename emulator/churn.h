/* churn: a background thread that changes random tasks' states at a given rate.
 *
 * It makes a data set "keep changing" for demos and watch tests: R times a second it picks a
 * task (seeded RNG) and gives it another state drawn with the data set's weights, with
 * updated_at = now and a fitting status and error. It leaves alone a task that a control call
 * is moving (one with a pending transition in the lifecycle), so a started task still becomes
 * RUNNING and a deleted one goes. Rate 0 idles the thread. It changes tasks only through the
 * store's public interface. */
#pragma once

#include "lifecycle.h"
#include "store.h"

struct churn;

/* Starts the thread, changing `rate` tasks a second in s, sparing the tasks l is moving (both
 * borrowed; they must outlive the churn). */
struct churn *churn_new(struct store *s, struct lifecycle *l, guint64 seed, double rate);
/* Stops and joins the thread. */
void churn_free(struct churn *c);

void churn_set_rate(struct churn *c, double rate);
double churn_rate(struct churn *c);
/* How many state changes it has made. */
guint64 churn_changes(struct churn *c);

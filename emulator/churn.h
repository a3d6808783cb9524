/* churn: a background thread that changes random tasks' states at a given rate.
 *
 * It makes a data set "keep changing" for demos and watch tests: R times a second it picks a
 * task (seeded RNG) and gives it another state drawn with the data set's weights, with
 * updated_at = now and a fitting status and error. Rate 0 idles the thread. It changes tasks
 * only through the store's public interface. */
#pragma once

#include "store.h"

struct churn;

/* Starts the thread, changing `rate` tasks a second in s (borrowed; must outlive the churn). */
struct churn *churn_new(struct store *s, guint64 seed, double rate);
/* Stops and joins the thread. */
void churn_free(struct churn *c);

void churn_set_rate(struct churn *c, double rate);
double churn_rate(struct churn *c);
/* How many state changes it has made. */
guint64 churn_changes(struct churn *c);

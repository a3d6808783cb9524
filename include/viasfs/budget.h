/*
 * budget: the per-mount budget of background API requests (--max-rate, requests a second).
 * The periodic refresh and the follow-ups of task control draw on it; read-ahead is charged
 * to it without waiting (it fetches what a reader is about to read: the request would be made
 * a moment later anyway, and a reader must not wait for the refresh's budget), which holds the
 * refresh back while someone reads; file operations someone waits for (foreground) are neither
 * delayed nor counted here. It is a token bucket: tokens accrue at the rate, up to two
 * seconds' worth (a short burst goes at once), and a draw larger than what is there waits
 * until the bucket could have held it, then leaves the bucket that much in debt, so that over
 * any long stretch of time background work sends at most rate x time (+ the burst) requests.
 * It knows nothing about who draws or why; it sends no request itself.
 *
 * Threads: every function may be called from any thread at once (one mutex, never held
 * while waiting for anything but the bucket's own condition), except budget_new and
 * budget_free, which its owner calls alone. A NULL budget, or a rate of 0, is no limit:
 * every draw succeeds at once.
 */
#ifndef VIASFS_BUDGET_H
#define VIASFS_BUDGET_H

#include <stdbool.h>
#include <glib.h>

struct budget;

/* A budget of @rate requests a second (0: unlimited), full at the start. */
struct budget *budget_new(double rate);
/* Wakes and fails every draw still waiting (-ECANCELED), then frees. NULL is fine. */
void budget_free(struct budget *b);
/* The rate (0: unlimited). */
double budget_rate(const struct budget *b);

/*
 * Draws @n requests' worth, waiting until the bucket could have held them; returns 0, or
 * -ETIMEDOUT (nothing drawn) when that would be after @deadline (monotonic), or -ECANCELED
 * when the budget is being freed. The call a task control follow-up makes before its requests.
 */
int budget_take(struct budget *b, guint n, gint64 deadline);
/* Draws @n at once, whatever the bucket holds: into debt if need be, but never more than one
 * burst's worth (so a long read holds the refresh back by at most that). Read-ahead's draw. */
void budget_charge(struct budget *b, guint n);
/* Draws @n at once if the bucket holds them now; false (nothing drawn) otherwise. For work
 * that can be skipped. */
bool budget_try(struct budget *b, guint n);
/* The monotonic time from which a draw of @n would succeed at once (now or earlier if it
 * would already). Draws nothing: a caller that must stay stoppable sleeps until then its own
 * way, then draws with budget_take. */
gint64 budget_ready_at(struct budget *b, guint n);

/* Counters since budget_new, for .viasfs/status and metrics. */
struct budget_stats {
    guint64 drawn;     /* requests' worth drawn */
    guint64 refused;   /* budget_try calls that found too little */
    guint64 waited_us; /* total time budget_take callers waited */
};
void budget_get_stats(struct budget *b, struct budget_stats *out);

#endif

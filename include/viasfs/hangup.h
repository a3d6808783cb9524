/*
 * hangup: SIGHUP turned into a call on an ordinary thread. The signal handler only writes
 * one byte to a pipe (write(2) is async-signal-safe); a thread of this module reads the pipe
 * and calls the owner's function, so the work runs under no signal-context restriction and
 * may lock, allocate and log. Signals that arrive before the thread wakes may be folded into
 * one call. SIGHUP is per process: at most one hangup may be running at a time.
 */
#ifndef VIASFS_HANGUP_H
#define VIASFS_HANGUP_H

struct hangup;

/*
 * Installs the SIGHUP handler (replacing whatever was there, remembered for hangup_stop) and
 * starts the thread that calls @fn(@data) after each SIGHUP. Returns NULL with *@why (caller
 * frees) when the pipe or the handler cannot be set up; nothing is changed then.
 */
struct hangup *hangup_start(void (*fn)(void *data), void *data, char **why);

/* Puts the previous SIGHUP action back, then ends the thread (after a call in progress) and
 * frees. NULL is fine. */
void hangup_stop(struct hangup *h);

#endif

/*
 * requester: the process on whose behalf the calling thread serves a file operation (the
 * FUSE request's pid), for bookkeeping that must tell readers apart, such as scan.h's walks:
 * 64 processes reading at random must not look like one process walking the tasks. A
 * thread-local value: set it at the start of an operation, clear it at the end.
 */
#ifndef VIASFS_REQUESTER_H
#define VIASFS_REQUESTER_H

#include <glib.h>

/* The calling thread now serves process @pid (0: nobody in particular). */
void requester_set(guint32 pid);
/* The process the calling thread serves, or 0. */
guint32 requester_current(void);
/* The parent process of @pid, or 0 when unknown. Thread-safe. */
guint32 requester_parent(guint32 pid);

#endif

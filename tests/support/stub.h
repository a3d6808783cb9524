/*
 * stub: a scripted HTTP server for client tests. It records every request exactly as it
 * arrived (method, raw URI, headers) and answers from a queue of canned replies, so a test
 * can state the exact request the client must send and feed it any answer, good or hostile.
 */
#ifndef VIASFS_TEST_STUB_H
#define VIASFS_TEST_STUB_H

#include <glib.h>

struct stub;

struct stub_request {
    char *method;
    char *uri;           /* raw, with the query as sent */
    char *body;          /* as received ("" for none) */
    GHashTable *headers; /* lower-case name -> value */
};

/* Starts on a free 127.0.0.1 port. */
struct stub *stub_new(void);
void stub_free(struct stub *s);
/* "http://127.0.0.1:PORT" (borrowed). */
const char *stub_url(struct stub *s);

/*
 * Queues a reply: status and body (copied). @stall_ms > 0 waits that long before answering.
 * When the queue is empty the stub answers 599 with an empty body.
 */
void stub_push(struct stub *s, int status, const char *body, int stall_ms);
/* Adds a response header to the reply queued last. */
void stub_push_header(struct stub *s, const char *name, const char *value);
/* Queues a reply that closes the connection without answering. */
void stub_push_drop(struct stub *s);

/* Number of requests received so far, and the @i-th (borrowed, valid until stub_free). */
guint stub_count(struct stub *s);
/* The most requests that were being answered at the same moment. */
guint stub_max_in_flight(struct stub *s);
const struct stub_request *stub_request(struct stub *s, guint i);

#endif

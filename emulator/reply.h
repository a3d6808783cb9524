/* reply: the answer to one request, and how it is put on the wire.
 *
 * Handlers fill a reply (status and JSON body); reply_send() queues it with the emulator's
 * headers (Content-Type application/json;charset=UTF-8, X-Request-Id). The mode lets a fault
 * spoil an answer on the way out: drop the connection, cut the body short of its declared
 * Content-Length, or send a body that is not JSON. The error body shapes of the gateway and of
 * the service are built here so every handler emits the same ones. */
#pragma once

#include "json.h"

#include <microhttpd.h>

enum reply_mode {
    REPLY_NORMAL,
    REPLY_DROP,      /* close the connection without an answer */
    REPLY_TRUNCATE,  /* declare the whole length, send half, close */
    REPLY_MALFORMED, /* send half the body and some HTML instead: not JSON */
};

struct reply {
    unsigned status; /* HTTP status; 0 until a handler sets one */
    char *body;      /* owned (g_free); JSON text */
    size_t len;
    const char *allow; /* static; the Allow header of a 405, else NULL */
    enum reply_mode mode;
    GPtrArray *headers; /* owned, or NULL: more headers, name then value (g_free each) */
};

void reply_release(struct reply *r);

/* Sets status and body, taking ownership of body (g_malloc'd, len bytes). */
void reply_take(struct reply *r, unsigned status, char *body, size_t len);
/* Sets status and the compact text of body (not taken). */
void reply_json(struct reply *r, unsigned status, const cJSON *body);

/* Adds a response header (both strings copied). */
void reply_add_header(struct reply *r, const char *name, const char *value);

/* The gateway's shape: {"error_code","error_msg","request_id"}. */
void reply_gateway_error(struct reply *r, unsigned status, const char *code, const char *msg,
                         const char *request_id);
/* The service's shape: {"error_code","error_msg","detail","params":[param?],"reason","advice"}.
 * param may be NULL (empty params). */
void reply_service_error(struct reply *r, unsigned status, const char *code, const char *msg,
                         const char *detail, const char *param, const char *reason,
                         const char *advice);
/* IAM's (Keystone's) shape: {"error":{"code":status,"title":title,"message":msg}}. */
void reply_iam_error(struct reply *r, unsigned status, const char *title, const char *msg);
/* The control interface's shape: {"error":message}. */
void reply_control_error(struct reply *r, unsigned status, const char *message);

/* Queues r on connection c, which carries request_id. Returns what the MHD access handler
 * must return: MHD_NO for a drop (MHD then closes the connection). The body is consumed. */
enum MHD_Result reply_send(struct reply *r, struct MHD_Connection *c, const char *request_id);

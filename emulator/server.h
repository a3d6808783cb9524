/* server: the HTTP side of vias-emulator, on libmicrohttpd.
 *
 * One thread per connection (MHD_USE_THREAD_PER_CONNECTION with an internal polling thread,
 * poll() rather than select(), so there is no FD_SETSIZE limit), keep-alive, up to
 * SERVER_CONNECTIONS_MAX connections: a stalled or slow answer holds only its own thread.
 * It collects each request (body included), hands it to control.c (/_emulator/...) or api.c
 * (everything else) and sends the reply. It owns the listening socket, which it opens itself
 * so that a failure to bind is reported with its reason. */
#pragma once

#include "emulator.h"

#include <glib.h>

#define SERVER_CONNECTIONS_MAX 4096

struct server;

/* Listens on addr:port (port 0: any free port) and serves e (borrowed; must outlive the
 * server). NULL with *error set when it cannot listen. */
struct server *server_start(struct emulator *e, const char *addr, unsigned port, bool verbose,
                            GError **error);
/* The port it listens on. */
unsigned server_port(const struct server *s);
/* Closes the listening socket and every connection, waits for their threads, frees s. Call
 * emulator_shutdown() first, so that stalled requests let go. */
void server_stop(struct server *s);

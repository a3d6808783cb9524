/* server: the HTTP side of vias-emulator, on libmicrohttpd.
 *
 * One thread per connection (MHD_USE_THREAD_PER_CONNECTION with an internal polling thread,
 * poll() rather than select(), so there is no FD_SETSIZE limit), keep-alive, up to
 * SERVER_CONNECTIONS_MAX connections: a stalled or slow answer holds only its own thread.
 * It collects each request (body included), hands it to control.c (/_emulator/...) or api.c
 * (everything else) and sends the reply. It owns the listening socket, which it opens itself
 * so that a failure to bind is reported with its reason. Given a certificate and key it
 * speaks HTTPS only (libmicrohttpd's TLS, GnuTLS on Debian). */
#pragma once

#include "emulator.h"

#include <glib.h>

#define SERVER_CONNECTIONS_MAX 4096

struct server;

/* How to listen: addr:port (port 0: any free port), plain HTTP or HTTPS. */
struct server_config {
    const char *addr;
    unsigned port;
    bool verbose;
    const char *tls_cert_pem; /* NULL: plain HTTP; else the PEM certificate (chain) */
    const char *tls_key_pem;  /* the PEM private key, with tls_cert_pem */
};

/* Listens as cfg says (copied) and serves e (borrowed; must outlive the server). NULL with
 * *error set when it cannot listen or TLS cannot start. */
struct server *server_start(struct emulator *e, const struct server_config *cfg, GError **error);
/* Whether this libmicrohttpd can serve HTTPS. */
bool server_tls_supported(void);
/* The port it listens on. */
unsigned server_port(const struct server *s);
/* Closes the listening socket and every connection, waits for their threads, frees s. Call
 * emulator_shutdown() first, so that stalled requests let go. */
void server_stop(struct server *s);

/* server: the HTTP side of vias-emulator (see server.h). */
#include "server.h"

#include "api.h"
#include "control.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct server {
    struct emulator *emulator; /* borrowed */
    struct MHD_Daemon *daemon;
    unsigned port;
    bool verbose;
    char *tls_cert; /* owned, or NULL; kept while the daemon runs */
    char *tls_key;  /* owned, or NULL; wiped when freed */
};

bool server_tls_supported(void)
{
    return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

static void server_free(struct server *s)
{
    g_free(s->tls_cert);
    if (s->tls_key != NULL)
        memset(s->tls_key, 0, strlen(s->tls_key));
    g_free(s->tls_key);
    g_free(s);
}

static bool server_is_control(const char *path)
{
    size_t n = strlen(CONTROL_PREFIX);
    return strncmp(path, CONTROL_PREFIX, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static void server_log(const struct request *r, const struct reply *out)
{
    double ms = (double)(g_get_monotonic_time() - r->start_us) / 1000.0;
    const char *note = out->mode == REPLY_DROP        ? " (dropped)"
                       : out->mode == REPLY_TRUNCATE  ? " (truncated)"
                       : out->mode == REPLY_MALFORMED ? " (malformed)"
                                                      : "";
    fprintf(stderr, "vias-emulator: %s %s %u%s %.2fms\n", r->method, r->path, out->status, note,
            ms);
}

static enum MHD_Result server_access(void *cls, struct MHD_Connection *c, const char *url,
                                     const char *method, const char *version,
                                     const char *upload_data, size_t *upload_data_size,
                                     void **con_cls)
{
    struct server *s = cls;
    struct request *r = *con_cls;
    if (r == NULL) {
        *con_cls = request_new(c, method, url);
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        request_append_body(r, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    struct reply out = {0};
    if (server_is_control(r->path))
        control_handle(s->emulator, r, &out);
    else
        api_handle(s->emulator, r, &out);
    if (s->verbose)
        server_log(r, &out);
    enum MHD_Result rc = reply_send(&out, c, r->id);
    reply_release(&out);
    return rc;
}

static void server_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                             enum MHD_RequestTerminationCode toe)
{
    request_free(*con_cls);
    *con_cls = NULL;
}

/* A listening TCP socket on bind:port. -1 with *error set on failure. */
static int server_listen(const char *addr, unsigned port, bool *ipv6, GError **error)
{
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        len = sizeof(*in4);
        *ipv6 = false;
    } else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        len = sizeof(*in6);
        *ipv6 = true;
    } else {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "--bind: '%s' is not an IPv4 or IPv6 address", addr);
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 1024) < 0) {
        int err = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err),
                    "cannot listen on %s%s%s:%u: %s", *ipv6 ? "[" : "", addr, *ipv6 ? "]" : "",
                    port, g_strerror(err));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static unsigned server_bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return 0;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

struct server *server_start(struct emulator *e, const struct server_config *cfg, GError **error)
{
    bool tls = cfg->tls_cert_pem != NULL;
    if (tls && !server_tls_supported()) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "this libmicrohttpd was built without TLS: HTTPS is not available");
        return NULL;
    }
    bool ipv6 = false;
    int fd = server_listen(cfg->addr, cfg->port, &ipv6, error);
    if (fd < 0)
        return NULL;
    struct server *s = g_new0(struct server, 1);
    s->emulator = e;
    s->verbose = cfg->verbose;
    s->port = server_bound_port(fd);
    s->tls_cert = g_strdup(cfg->tls_cert_pem);
    s->tls_key = g_strdup(cfg->tls_key_pem);
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_POLL | MHD_USE_ITC | (ipv6 ? MHD_USE_IPv6 : 0) |
                     (tls ? MHD_USE_TLS : 0) | (cfg->verbose ? MHD_USE_ERROR_LOG : 0);
    struct MHD_OptionItem tls_options[] = {
        {tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, s->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key},
        {MHD_OPTION_END, 0, NULL},
    };
    s->daemon =
        MHD_start_daemon(flags, 0, NULL, NULL, server_access, s, MHD_OPTION_LISTEN_SOCKET, fd,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)SERVER_CONNECTIONS_MAX,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_NOTIFY_COMPLETED,
                         server_completed, s, MHD_OPTION_ARRAY, tls_options, MHD_OPTION_END);
    if (s->daemon == NULL) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    tls ? "libmicrohttpd failed to start TLS: check that --tls-cert and --tls-key "
                          "are a matching PEM certificate and unencrypted key (run with -v for "
                          "its log)"
                        : "libmicrohttpd failed to start (run with -v for its log)");
        close(fd);
        server_free(s);
        return NULL;
    }
    return s;
}

unsigned server_port(const struct server *s)
{
    return s->port;
}

void server_stop(struct server *s)
{
    if (s == NULL)
        return;
    MHD_stop_daemon(s->daemon);
    server_free(s);
}

/*
 * config: reads a config file (see config.h). GKeyFile decides what the file means (its
 * comments, escapes and blanks); a scan of our own, line by line, finds where each key is and
 * which line is at fault, because GKeyFile reports neither. It does not judge keys or values.
 */
#include "viasfs/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { CONFIG_MAX_BYTES = 64 * 1024 };

static void entry_free(gpointer data)
{
    struct config_entry *e = data;

    g_free(e->key);
    g_free(e->value);
    g_free(e);
}

void config_free(struct config *c)
{
    if (!c)
        return;
    g_free(c->path);
    if (c->entries)
        g_ptr_array_unref(c->entries);
    g_free(c);
}

char *config_default_path(void)
{
    const char *xdg = g_getenv("XDG_CONFIG_HOME");
    const char *home = g_getenv("HOME");

    if (xdg && g_path_is_absolute(xdg))
        return g_build_filename(xdg, "viasfs", "config", NULL);
    if (!home || !*home)
        home = g_get_home_dir();
    return g_build_filename(home, ".config", "viasfs", "config", NULL);
}

/* A "PATH:LINE: ..." message (LINE 0: "PATH: ..."). Caller frees. */
static char *at_line(const char *path, int line, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static char *at_line(const char *path, int line, const char *fmt, ...)
{
    g_autofree char *text = NULL;
    va_list ap;

    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (line > 0)
        return g_strdup_printf("%s:%d: %s", path, line, text);
    return g_strdup_printf("%s: %s", path, text);
}

/* @s quoted and escaped for a message, at most 40 bytes of it. Caller frees. */
static char *quoted(const char *s)
{
    g_autofree char *cut = g_strndup(s, 40);
    g_autofree char *esc = g_strescape(cut, NULL);

    return g_strdup_printf("\"%s%s\"", esc, strlen(s) > 40 ? "..." : "");
}

/*
 * Reads at most CONFIG_MAX_BYTES + 1 bytes of @path into *@text (NUL-terminated) and its
 * length into *@len, so that a huge file or a device (/dev/zero) is refused, not swallowed.
 * Returns 0 or -errno; a directory is -EISDIR.
 */
static int read_capped(const char *path, char **text, gsize *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    char *buf;
    gsize n = 0;
    struct stat st;

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        return -EISDIR;
    }
    buf = g_malloc(CONFIG_MAX_BYTES + 2);
    while (n < CONFIG_MAX_BYTES + 1) {
        ssize_t r = read(fd, buf + n, CONFIG_MAX_BYTES + 1 - n);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            g_free(buf);
            return -e;
        }
        if (r == 0)
            break;
        n += (gsize)r;
    }
    close(fd);
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

/* GKeyFile's rule for a group line: "[name]" then blanks only. Sets *@name (caller frees). */
static bool group_line(const char *line, char **name)
{
    const char *end = strchr(line, ']');

    if (line[0] != '[' || !end)
        return false;
    for (const char *c = end + 1; *c; c++)
        if (*c != ' ' && *c != '\t')
            return false;
    *name = g_strndup(line + 1, (size_t)(end - line - 1));
    return true;
}

/*
 * The scan: every line is blank, a comment, a group or "key = value"; the only group is
 * [viasfs]; keys are unique. Appends one entry per key (value still unset) to @entries.
 * Returns 0 or -EINVAL with *@why.
 */
static int scan(const char *path, const char *text, gsize len, GPtrArray *entries, char **why)
{
    g_auto(GStrv) lines = NULL;
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    bool in_group = false;
    const char *nul = memchr(text, '\0', len);

    if (nul) {
        int line = 1;
        for (const char *c = text; c < nul; c++)
            line += *c == '\n';
        *why = at_line(path, line, "a NUL byte: this is not a text file");
        return -EINVAL;
    }
    lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        int n = i + 1;
        char *line = lines[i];
        char *eq;
        g_autofree char *group = NULL;

        if (!g_utf8_validate(line, -1, NULL)) {
            *why = at_line(path, n, "the line is not valid UTF-8");
            return -EINVAL;
        }
        g_strstrip(line); /* also a "\r" left by CRLF line ends */
        if (line[0] == '\0' || line[0] == '#')
            continue;
        if (group_line(line, &group)) {
            if (strcmp(group, CONFIG_GROUP) != 0) {
                g_autofree char *q = quoted(group);
                *why =
                    at_line(path, n, "unknown group %s (the only group is [" CONFIG_GROUP "])", q);
                return -EINVAL;
            }
            in_group = true;
            continue;
        }
        eq = strchr(line, '=');
        if (!eq) {
            g_autofree char *q = quoted(line);
            *why = at_line(path, n, "%s is not \"key = value\", a [group] or a # comment", q);
            return -EINVAL;
        }
        *eq = '\0';
        g_strchomp(line);
        if (line[0] == '\0') {
            *why = at_line(path, n, "no key before '='");
            return -EINVAL;
        }
        if (strpbrk(line, "[]")) {
            g_autofree char *q = quoted(line);
            *why = at_line(path, n, "key %s: localized keys (KEY[LOCALE]) are not used", q);
            return -EINVAL;
        }
        if (!in_group) {
            g_autofree char *q = quoted(line);
            *why = at_line(path, n, "key %s comes before the [" CONFIG_GROUP "] line", q);
            return -EINVAL;
        }
        {
            g_autofree char *norm = g_strdelimit(g_strdup(line), "_", '-');
            gpointer first;

            if (g_hash_table_lookup_extended(seen, norm, NULL, &first)) {
                g_autofree char *q = quoted(line);
                *why = at_line(path, n, "key %s is set twice (first on line %d)", q,
                               GPOINTER_TO_INT(first));
                return -EINVAL;
            }
            g_hash_table_insert(seen, g_steal_pointer(&norm), GINT_TO_POINTER(n));
        }
        struct config_entry *e = g_new0(struct config_entry, 1);
        e->key = g_strdup(line);
        e->line = n;
        g_ptr_array_add(entries, e);
    }
    return 0;
}

int config_load(const char *path, struct config **out, char **why)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func(entry_free);
    gsize len = 0;
    struct config *c;
    int rc;

    *out = NULL;
    rc = read_capped(path, &text, &len);
    if (rc < 0) {
        *why = at_line(path, 0, "%s", g_strerror(-rc));
        return rc;
    }
    if (len > CONFIG_MAX_BYTES) {
        *why = at_line(path, 0, "bigger than %d KiB: this is not a viasfs config file",
                       CONFIG_MAX_BYTES / 1024);
        return -EFBIG;
    }
    rc = scan(path, text, len, entries, why);
    if (rc < 0)
        return rc;
    if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, &err)) {
        *why = at_line(path, 0, "%s", err->message);
        return -EINVAL;
    }
    for (guint i = 0; i < entries->len; i++) {
        struct config_entry *e = g_ptr_array_index(entries, i);

        /* GKeyFile may return a value and an error both (for a bad escape). */
        e->value = g_key_file_get_string(kf, CONFIG_GROUP, e->key, &err);
        if (err || !e->value) {
            g_autofree char *q = quoted(e->key);
            *why = at_line(path, e->line, "key %s: %s", q, err ? err->message : "GKeyFile lost it");
            return -EINVAL;
        }
        g_strstrip(e->value);
    }
    c = g_new0(struct config, 1);
    c->path = g_strdup(path);
    c->entries = g_steal_pointer(&entries);
    *out = c;
    return 0;
}

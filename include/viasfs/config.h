/*
 * config: viasfs's configuration file, a GLib key file with one group, [viasfs], whose keys
 * are the long options' names (dashes or underscores) and whose values are what the option
 * takes ("ttl = 60", "show-secrets = true"):
 *
 *     # ~/.config/viasfs/config
 *     [viasfs]
 *     endpoint = https://vias.cn-north-4.myhuaweicloud.com
 *     token-file = /home/me/.vias-token
 *
 * This module reads the file and checks its shape: comments, the group, one key per line,
 * no key twice, values that GKeyFile can unescape. It returns the entries in file order with
 * their line numbers (GKeyFile keeps none), so that every later complaint can name the line.
 * It does not know which keys exist or what their values mean: options.c judges them.
 */
#ifndef VIASFS_CONFIG_H
#define VIASFS_CONFIG_H

#include <glib.h>

/* The only group a config file may have. */
#define CONFIG_GROUP "viasfs"

struct config_entry {
    char *key;   /* as written, with surrounding blanks removed */
    char *value; /* unescaped as GKeyFile does (\s \n \t \r \\), blanks at both ends removed */
    int line;    /* 1-based line number in the file */
};

struct config {
    char *path;         /* as given to config_load */
    GPtrArray *entries; /* struct config_entry *, in file order; owned */
};

/*
 * Reads and checks the file at @path. Returns 0 with a new config in *@out (free it with
 * config_free), or -errno with one line in *@why (caller frees) that starts with "PATH:" or
 * "PATH:LINE:": -ENOENT when the file does not exist, another -errno when it cannot be read,
 * -EFBIG over 64 KiB, -EINVAL when its content is not a key file of the shape above (a line
 * that is neither a comment, a group nor "key = value", text that is not UTF-8, a group other
 * than [viasfs], a key before the first group, a key given twice, a bad escape).
 */
int config_load(const char *path, struct config **out, char **why);

/* Frees @c and its entries; NULL is fine. */
void config_free(struct config *c);

/*
 * The default config file: $XDG_CONFIG_HOME/viasfs/config when XDG_CONFIG_HOME is an
 * absolute path, else $HOME/.config/viasfs/config. Read from the environment at each call
 * (GLib's own lookup is cached). Caller frees.
 */
char *config_default_path(void);

#endif

/*
 * kernel_attr: part of the fuse layer. A tree attribute (struct tree_attr) as the kernel is
 * told it: a struct stat, or a lookup's fuse_entry_param. Shared by the handlers (fs.c) and
 * the notifier's answers to its own requests (notifier.c). Pure functions, any thread.
 */
#ifndef VIASFS_KERNEL_ATTR_H
#define VIASFS_KERNEL_ATTR_H

#include <sys/stat.h>

#include "viasfs/tree.h"

struct fuse_entry_param;

/* Fills @st from @a, owned by the tree's uid and gid (tree_uid, tree_gid). */
void kernel_attr_stat(struct tree *t, const struct tree_attr *a, struct stat *st);

/* Fills @e from @a: generation 1, the attribute and entry timeouts @a gives. */
void kernel_attr_entry(struct tree *t, const struct tree_attr *a, struct fuse_entry_param *e);

#endif

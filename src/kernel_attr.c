/* kernel_attr: tree attributes as the kernel is told them (see kernel_attr.h). */
#define FUSE_USE_VERSION 312
#include "viasfs/kernel_attr.h"

#include <fuse_lowlevel.h>
#include <string.h>

void kernel_attr_stat(struct tree *t, const struct tree_attr *a, struct stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_ino = a->ino;
    st->st_mode = a->mode;
    st->st_nlink = a->nlink;
    st->st_size = (off_t)a->size;
    st->st_uid = tree_uid(t);
    st->st_gid = tree_gid(t);
    st->st_blksize = 4096;
    st->st_blocks = (blkcnt_t)((a->size + 511) / 512);
    st->st_mtim.tv_sec = a->mtime_ms / 1000;
    st->st_mtim.tv_nsec = (a->mtime_ms % 1000) * 1000000;
    st->st_atim = st->st_mtim;
    st->st_ctim = st->st_mtim;
}

void kernel_attr_entry(struct tree *t, const struct tree_attr *a, struct fuse_entry_param *e)
{
    memset(e, 0, sizeof(*e));
    e->ino = a->ino;
    e->generation = 1;
    e->attr_timeout = a->timeout_s;
    e->entry_timeout = MAX(a->timeout_s, a->entry_timeout_s);
    kernel_attr_stat(t, a, &e->attr);
}

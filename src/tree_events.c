/*
 * tree_events: what a reader may write to .viasfs/events: "since N", which moves that
 * descriptor back to the retained events after N (event_log_seek), with an explicit "lost"
 * line first when some of them are no longer retained (see tree_events_since in tree.h).
 * It is not the stream itself (event_log.c) nor its delivery (the fuse layer).
 */
#include "tree_i.h"
#include "viasfs/event.h"
#include "viasfs/log.h"

#include <errno.h>

int tree_events_since(struct tree *t, guint64 ino, const char *buf, size_t size, uid_t uid,
                      struct event_cursor *cursor, char **lost)
{
    struct event_gap gap;
    guint64 since;

    *lost = NULL;
    if (!tree_is_event_stream(t, ino))
        return -EROFS;
    if (uid != 0 && uid != t->cfg.uid) /* as for the control file (tree_check_open) */
        return -EACCES;
    if (event_log_parse_since(buf, size, &since) < 0)
        return -EINVAL;
    if (event_log_seek(t->cfg.events, cursor, since, &gap)) {
        g_autofree char *line = event_lost_to_json(now_ms(), gap.from, gap.to, gap.ahead);
        *lost = g_strconcat(line, "\n", NULL);
        log_info("events: a reader resumed after %" G_GUINT64_FORMAT "; %" G_GUINT64_FORMAT
                 "..%" G_GUINT64_FORMAT " are not retained",
                 since, gap.from, gap.to);
    }
    return 0;
}

char *tree_events_behind(struct tree *t, struct event_cursor *cursor)
{
    struct event_gap gap;

    if (!event_log_behind(t->cfg.events, cursor, &gap))
        return NULL;
    g_autofree char *line = event_lost_to_json(now_ms(), gap.from, gap.to, false);
    return g_strconcat(line, "\n", NULL);
}

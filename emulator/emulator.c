/* emulator: the parts of vias-emulator wired together (see emulator.h). */
#include "emulator.h"

#include "datafile.h"

#include <errno.h>
#include <stdio.h>

G_DEFINE_QUARK(vias - emulator - error - quark, emulator_error)

/* Makes tasks of records (after filling what they lack) and adds them to the store. */
static int emulator_add_records(struct emulator *e, GPtrArray *records, GError **error)
{
    g_autoptr(GPtrArray) tasks = g_ptr_array_new_full(records->len, (GDestroyNotify)task_free);
    for (guint i = 0; i < records->len; i++) {
        cJSON *rec = records->pdata[i];
        generator_fill(e->generator, rec, -1);
        GError *err = NULL;
        struct task *t = task_new(rec, &err);
        if (t == NULL) {
            g_set_error(error, EMULATOR_ERROR, 1, "task %u: %s", i, err->message);
            g_error_free(err);
            return -EINVAL;
        }
        g_ptr_array_add(tasks, t);
    }
    GError *err = NULL;
    if (store_add(e->store, tasks, &err) < 0) {
        g_set_error(error, EMULATOR_ERROR, 1, "%s", err->message);
        g_error_free(err);
        return -EEXIST;
    }
    return 0;
}

/* Generates n tasks one record at a time (a record is freed as soon as its task exists, so
 * the cJSON trees of a large set never all live at once). */
static int emulator_generate(struct emulator *e, unsigned n, GError **error)
{
    g_autoptr(GPtrArray) tasks = g_ptr_array_new_full(n, (GDestroyNotify)task_free);
    for (unsigned i = 0; i < n; i++) {
        g_autoptr(cJSON) rec = generator_record(e->generator, -1);
        struct task *t = task_new(rec, error);
        if (t == NULL)
            return -EINVAL;
        g_ptr_array_add(tasks, t);
    }
    return store_add(e->store, tasks, error);
}

static int emulator_load(struct emulator *e, GError **error)
{
    const struct options *o = e->opts;
    int rc = 0;
    if (o->data != NULL) {
        GError *err = NULL;
        g_autoptr(GPtrArray) records = datafile_load(o->data, &err);
        if (records == NULL) {
            g_set_error(error, EMULATOR_ERROR, 1, "--data: %s", err->message);
            g_error_free(err);
            return -EINVAL;
        }
        rc = emulator_add_records(e, records, error);
    } else {
        rc = emulator_generate(e, o->tasks, error);
    }
    if (rc == 0 && o->hostile) {
        g_autoptr(GPtrArray) hostile = generator_hostile(e->generator);
        rc = emulator_add_records(e, hostile, error);
    }
    return rc;
}

/* Reports a credential file's error as the option that named it. */
static int emulator_file_error(GError **error, const char *option, GError *err)
{
    g_set_error(error, EMULATOR_ERROR, 1, "%s: %s", option, err->message);
    g_error_free(err);
    return -EINVAL;
}

/* Builds the emulated IAM, the access keys and the authenticator over them. */
static int emulator_auth(struct emulator *e, GError **error)
{
    const struct options *o = e->opts;
    GError *err = NULL;
    struct iam_config ic = {.users_file = o->iam_users_file,
                            .region = o->region,
                            .project_id = o->project_id,
                            .token_ttl = o->token_ttl,
                            .clock_skew = o->clock_skew};
    if ((e->iam = iam_new(&ic, &err)) == NULL)
        return emulator_file_error(error, "--iam-users-file", err);
    struct aksk_config kc = {.keys_file = o->aksk_file,
                             .lockout = o->aksk_lockout,
                             .clock_skew = o->clock_skew,
                             .verbose = o->verbose};
    if ((e->aksk = aksk_new(&kc, &err)) == NULL)
        return emulator_file_error(error, "--aksk-file", err);
    if ((e->auth = auth_new(o->token_file, e->iam, e->aksk, &err)) == NULL)
        return emulator_file_error(error, "--token-file", err);
    return 0;
}

struct emulator *emulator_new(const struct options *opts, GError **error)
{
    struct emulator *e = g_new0(struct emulator, 1);
    e->opts = opts;
    stats_init(&e->stats);
    if (emulator_auth(e, error) < 0) {
        emulator_free(e);
        return NULL;
    }
    e->store = store_new();
    e->generator = generator_new(opts->seed, opts->tasks, opts->project_id);
    if (emulator_load(e, error) < 0) {
        emulator_free(e);
        return NULL;
    }
    if (opts->token_file == NULL)
        fprintf(stderr, "vias-emulator: warning: no --token-file: any non-empty X-Auth-Token "
                        "is accepted\n");
    e->faults = faults_new(opts->seed, opts->latency_ms);
    e->lifecycle = lifecycle_new(e->store, opts->action_delay_ms, opts->delete_delay_ms);
    e->audit = audit_new();
    e->churn = churn_new(e->store, e->lifecycle, opts->seed, opts->churn);
    return e;
}

void emulator_shutdown(struct emulator *e)
{
    if (e->faults != NULL)
        faults_shutdown(e->faults);
}

void emulator_free(struct emulator *e)
{
    if (e == NULL)
        return;
    churn_free(e->churn);
    lifecycle_free(e->lifecycle);
    audit_free(e->audit);
    faults_free(e->faults);
    store_free(e->store);
    generator_free(e->generator);
    auth_free(e->auth);
    aksk_free(e->aksk);
    iam_free(e->iam);
    g_free(e);
}

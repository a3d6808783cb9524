/* generator: makes up realistic VIAS tasks, deterministically.
 *
 * The same seed and task count give the same records, byte for byte: every value comes from
 * one seeded GRand drawn in a fixed order, and times count back from a fixed epoch
 * (GENERATOR_EPOCH_MS), not from the clock. Later additions (the control interface) keep
 * drawing from the same stream and take the clock's time as created_at.
 *
 * It knows the catalogues (algorithms, cameras, vendors, input and output kinds) and the
 * hostile set. It does not store tasks (store.c) or render them (task.c). */
#pragma once

#include "json.h"

#include <glib.h>

/* 2026-11-01T00:00:00Z: generated created_at values spread over the 180 days before it. */
#define GENERATOR_EPOCH_MS G_GINT64_CONSTANT(1793491200000)

struct generator;

/* A generator for a data set of about n_tasks tasks (the number of cameras, batches and video
 * groups follows from it) in project `project_id`. Caller frees with generator_free(). */
struct generator *generator_new(guint64 seed, guint n_tasks, const char *project_id);
void generator_free(struct generator *g);

/* A complete new record (task object with "_hidden"). created_ms < 0 spreads created_at over
 * the months before GENERATOR_EPOCH_MS; otherwise it is created_at (and updated_at).
 * Thread-safe (the generator serialises its own draws). Caller frees. */
cJSON *generator_record(struct generator *g, gint64 created_ms);

/* Fills the members `record` lacks (documented fields and hidden attributes) with generated
 * ones, as generator_record(g, created_ms) would give them; present members stay. */
void generator_fill(struct generator *g, cJSON *record, gint64 created_ms);

/* The hostile records: names, cameras and titles that stress clients (see generator.c for the
 * list). Deterministic for the seed. Caller frees the array (it frees its records). */
GPtrArray *generator_hostile(struct generator *g);

/* Makes `record` a task of the algorithm whose service API name is `name` (one of
 * GENERATOR_SERVICES): sets service_id, release_id, algorithm_publish_id, title and company.
 * False when there is no such service. */
bool generator_service(struct generator *g, const char *name, cJSON *record);

/* The service names generator_service() knows, for messages and the README. */
#define GENERATOR_SERVICES                                                                         \
    "face, vehicle, helmet, perimeter, crowd, smoke-fire, plate, footfall, fall, garbage, vest"

/* A state drawn with the data set's weights (mostly RUNNING and STOPPED). Static string. */
const char *generator_state(GRand *rng);

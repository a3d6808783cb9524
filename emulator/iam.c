/* iam: the emulated IAM token service (see iam.h).
 *
 * The users file: one user per line, DOMAIN:USER:PASSWORD. The domain (account) and user
 * names end at the first and second ':'; the password is the whole rest of the line, spaces,
 * ':' and '#' included (only a trailing '\r' is dropped). Blank lines and lines whose first
 * non-blank character is '#' are ignored. Ids are derived from the names (stable across
 * runs). Answers follow the IAM API reference: 201 + X-Subject-Token, errors in Keystone's
 * {"error":{"code","title","message"}} shape. */
#include "iam.h"

#include "linefile.h"

#include <errno.h>
#include <string.h>

/* Bytes of the DER structure a token encodes: about 4.9 KB once in base64. */
#define IAM_TOKEN_DER_BYTES 3700

struct iam_user {
    char *domain;    /* owned */
    char *name;      /* owned */
    char *password;  /* owned; compared, never printed */
    char *id;        /* owned; 32 hex digits derived from domain and name */
    char *domain_id; /* owned; 32 hex digits derived from domain */
};

/* A token this service issued, remembered by its SHA-256. */
struct iam_issued {
    gint64 expires_us; /* Unix time, skewed clock */
    bool revoked;
};

struct iam {
    struct linefile *users; /* owned, or NULL: no users */
    char *region;           /* owned */
    char *project_id;       /* owned */
    gint64 ttl_us;
    gint64 skew_us;
    GMutex lock;        /* protects tokens and order */
    GHashTable *tokens; /* sha256 hex (owned) -> struct iam_issued (owned) */
    GQueue order;       /* the keys of tokens (borrowed), oldest first */
};

static void iam_user_free(gpointer p)
{
    struct iam_user *u = p;
    if (u == NULL)
        return;
    g_free(u->domain);
    g_free(u->name);
    if (u->password != NULL)
        memset(u->password, 0, strlen(u->password));
    g_free(u->password);
    g_free(u->id);
    g_free(u->domain_id);
    g_free(u);
}

/* 32 hex digits derived from the text: a stable id. Caller frees. */
static char *iam_id(const char *kind, const char *a, const char *b)
{
    g_autofree char *text = g_strdup_printf("%s\n%s\n%s", kind, a, b != NULL ? b : "");
    char *hex = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
    hex[32] = '\0';
    return hex;
}

static char *iam_user_key(const char *domain, const char *name)
{
    return g_strdup_printf("%s\n%s", domain, name);
}

static int iam_parse_user(GHashTable *into, char *line, unsigned lineno, GError **error)
{
    const char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0' || *p == '#')
        return 0;
    char *c1 = strchr(line, ':');
    char *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
    if (c2 == NULL || c1 == line || c2 == c1 + 1 || c2[1] == '\0') {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "line %u: expected DOMAIN:USER:PASSWORD, none of them empty", lineno);
        return -EINVAL;
    }
    struct iam_user *u = g_new0(struct iam_user, 1);
    u->domain = g_strndup(line, (gsize)(c1 - line));
    u->name = g_strndup(c1 + 1, (gsize)(c2 - c1 - 1));
    u->password = g_strdup(c2 + 1);
    u->id = iam_id("user", u->domain, u->name);
    u->domain_id = iam_id("domain", u->domain, NULL);
    char *key = iam_user_key(u->domain, u->name);
    if (g_hash_table_contains(into, key)) {
        g_free(key);
        iam_user_free(u);
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "line %u: a second entry for a user",
                    lineno);
        return -EINVAL;
    }
    g_hash_table_insert(into, key, u);
    return 0;
}

struct iam *iam_new(const struct iam_config *cfg, GError **error)
{
    struct iam *iam = g_new0(struct iam, 1);
    g_mutex_init(&iam->lock);
    iam->tokens = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_queue_init(&iam->order);
    iam->region = g_strdup(cfg->region);
    iam->project_id = g_strdup(cfg->project_id);
    iam->ttl_us = (gint64)cfg->token_ttl * G_USEC_PER_SEC;
    iam->skew_us = cfg->clock_skew * G_USEC_PER_SEC;
    if (cfg->users_file != NULL) {
        iam->users = linefile_new(cfg->users_file, iam_parse_user, iam_user_free, error);
        if (iam->users == NULL) {
            iam_free(iam);
            return NULL;
        }
    }
    return iam;
}

void iam_free(struct iam *iam)
{
    if (iam == NULL)
        return;
    linefile_free(iam->users);
    g_queue_clear(&iam->order);
    g_hash_table_unref(iam->tokens);
    g_free(iam->region);
    g_free(iam->project_id);
    g_mutex_clear(&iam->lock);
    g_free(iam);
}

static gint64 iam_now(const struct iam *iam)
{
    return g_get_real_time() + iam->skew_us;
}

/* "2020-01-04T09:05:22.701000Z": ISO-8601 UTC with microseconds, as IAM writes it. */
static char *iam_time(gint64 unix_us)
{
    gint64 s = unix_us / G_USEC_PER_SEC, us = unix_us % G_USEC_PER_SEC;
    if (us < 0) {
        s--;
        us += G_USEC_PER_SEC;
    }
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(s);
    if (dt == NULL)
        return g_strdup("1970-01-01T00:00:00.000000Z");
    g_autofree char *base = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S");
    return g_strdup_printf("%s.%06dZ", base, (int)us);
}

/* A new token shaped like IAM's PKI tokens: the base64 of a DER SEQUENCE that opens like a
 * CMS signedData ("MII..."), random inside, with '/' written as '-'. Caller frees. */
static char *iam_token_make(void)
{
    static const guint8 head[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02};
    g_autofree guint8 *der = g_malloc(IAM_TOKEN_DER_BYTES);
    for (size_t i = 0; i < IAM_TOKEN_DER_BYTES; i += 4) {
        guint32 w = g_random_int();
        memcpy(der + i, &w, MIN(4, IAM_TOKEN_DER_BYTES - i));
    }
    size_t outer = IAM_TOKEN_DER_BYTES - 4, inner = IAM_TOKEN_DER_BYTES - 19;
    der[0] = 0x30;
    der[1] = 0x82;
    der[2] = (guint8)(outer >> 8);
    der[3] = (guint8)outer;
    memcpy(der + 4, head, sizeof(head));
    der[15] = 0xa0;
    der[16] = 0x82;
    der[17] = (guint8)(inner >> 8);
    der[18] = (guint8)inner;
    char *token = g_base64_encode(der, IAM_TOKEN_DER_BYTES);
    for (char *p = token; *p != '\0'; p++)
        if (*p == '/')
            *p = '-';
    return token;
}

static char *iam_token_key(const char *token)
{
    return g_compute_checksum_for_string(G_CHECKSUM_SHA256, token, -1);
}

/* Remembers a new token, forgetting the oldest past IAM_TOKENS_MAX. */
static void iam_remember(struct iam *iam, const char *token, gint64 expires_us)
{
    char *key = iam_token_key(token);
    struct iam_issued *t = g_new0(struct iam_issued, 1);
    t->expires_us = expires_us;
    g_mutex_lock(&iam->lock);
    while (g_hash_table_size(iam->tokens) >= IAM_TOKENS_MAX) {
        char *old = g_queue_pop_head(&iam->order);
        g_hash_table_remove(iam->tokens, old);
    }
    g_hash_table_insert(iam->tokens, key, t);
    g_queue_push_tail(&iam->order, key);
    g_mutex_unlock(&iam->lock);
}

enum iam_token_state iam_token_state(struct iam *iam, const char *token)
{
    if (!g_str_has_prefix(token, "MII"))
        return IAM_TOKEN_UNKNOWN;
    g_autofree char *key = iam_token_key(token);
    enum iam_token_state state = IAM_TOKEN_UNKNOWN;
    gint64 now = iam_now(iam);
    g_mutex_lock(&iam->lock);
    const struct iam_issued *t = g_hash_table_lookup(iam->tokens, key);
    if (t != NULL)
        state = t->revoked             ? IAM_TOKEN_REVOKED
                : now >= t->expires_us ? IAM_TOKEN_EXPIRED
                                       : IAM_TOKEN_VALID;
    g_mutex_unlock(&iam->lock);
    return state;
}

unsigned iam_revoke_all(struct iam *iam)
{
    unsigned n = 0;
    gint64 now = iam_now(iam);
    g_mutex_lock(&iam->lock);
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, iam->tokens);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        struct iam_issued *t = value;
        if (!t->revoked && now < t->expires_us)
            n++;
        t->revoked = true;
    }
    g_mutex_unlock(&iam->lock);
    return n;
}

cJSON *iam_tokens_to_json(struct iam *iam)
{
    unsigned valid = 0, expired = 0, revoked = 0;
    gint64 now = iam_now(iam);
    g_mutex_lock(&iam->lock);
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, iam->tokens);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        const struct iam_issued *t = value;
        if (t->revoked)
            revoked++;
        else if (now >= t->expires_us)
            expired++;
        else
            valid++;
    }
    unsigned issued = g_hash_table_size(iam->tokens);
    g_mutex_unlock(&iam->lock);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "issued", issued);
    cJSON_AddNumberToObject(out, "valid", valid);
    cJSON_AddNumberToObject(out, "expired", expired);
    cJSON_AddNumberToObject(out, "revoked", revoked);
    return out;
}

/* Equal strings, in time that does not depend on where they differ. */
static bool iam_secret_equal(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    unsigned char diff = na != nb;
    for (size_t i = 0; i < na; i++)
        diff |= (unsigned char)(a[i] ^ (i < nb ? b[i] : 0));
    return diff == 0;
}

/* The login a request body asks for. Strings borrowed from the parsed body. */
struct iam_login {
    const char *user;
    const char *password;
    const char *domain;
    const char *project_name; /* one of these two */
    const char *project_id;
};

/* The object at a dotted path of members, or NULL. */
static const cJSON *iam_member(const cJSON *obj, const char *path)
{
    g_auto(GStrv) names = g_strsplit(path, ".", -1);
    for (char **n = names; *n != NULL && obj != NULL; n++)
        obj = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, *n) : NULL;
    return obj;
}

/* Reads the documented password body. 0, or -EINVAL with *why set (caller frees). */
static int iam_login_parse(const cJSON *body, struct iam_login *l, char **why)
{
    memset(l, 0, sizeof(*l));
    const cJSON *methods = iam_member(body, "auth.identity.methods");
    bool password = false;
    for (const cJSON *m = cJSON_IsArray(methods) ? methods->child : NULL; m != NULL; m = m->next)
        if (cJSON_IsString(m) && strcmp(m->valuestring, "password") == 0)
            password = true;
    if (!password) {
        *why = g_strdup("auth.identity.methods must be [\"password\"]: the emulator issues "
                        "tokens for password logins only");
        return -EINVAL;
    }
    static const char *const fields[] = {
        "auth.identity.password.user.name",
        "auth.identity.password.user.password",
        "auth.identity.password.user.domain.name",
    };
    const char **out[] = {&l->user, &l->password, &l->domain};
    for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
        const cJSON *v = iam_member(body, fields[i]);
        if (!cJSON_IsString(v) || v->valuestring[0] == '\0') {
            *why = g_strdup_printf("%s is missing or not a non-empty string", fields[i]);
            return -EINVAL;
        }
        *out[i] = v->valuestring;
    }
    const cJSON *name = iam_member(body, "auth.scope.project.name");
    const cJSON *id = iam_member(body, "auth.scope.project.id");
    if (cJSON_IsString(name) && name->valuestring[0] != '\0')
        l->project_name = name->valuestring;
    else if (cJSON_IsString(id) && id->valuestring[0] != '\0')
        l->project_id = id->valuestring;
    else {
        *why = g_strdup("auth.scope.project.name (the region, e.g. cn-north-4) is missing or "
                        "not a non-empty string");
        return -EINVAL;
    }
    return 0;
}

static cJSON *iam_domain_json(const struct iam_user *u)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "id", u->domain_id);
    cJSON_AddStringToObject(d, "name", u->domain);
    return d;
}

/* The answer body of a login: {"token":{...}}. Caller frees. */
static cJSON *iam_token_json(const struct iam *iam, const struct iam_user *u, gint64 issued_us,
                             gint64 expires_us, bool catalog)
{
    cJSON *b = cJSON_CreateObject();
    cJSON *t = cJSON_AddObjectToObject(b, "token");
    g_autofree char *expires = iam_time(expires_us);
    g_autofree char *issued = iam_time(issued_us);
    cJSON_AddStringToObject(t, "expires_at", expires);
    cJSON *methods = cJSON_AddArrayToObject(t, "methods");
    cJSON_AddItemToArray(methods, cJSON_CreateString("password"));
    if (catalog)
        cJSON_AddArrayToObject(t, "catalog");
    cJSON *roles = cJSON_AddArrayToObject(t, "roles");
    cJSON *role = cJSON_CreateObject();
    cJSON_AddStringToObject(role, "id", "0");
    cJSON_AddStringToObject(role, "name", "op_fine_grained");
    cJSON_AddItemToArray(roles, role);
    cJSON *project = cJSON_AddObjectToObject(t, "project");
    cJSON_AddItemToObject(project, "domain", iam_domain_json(u));
    cJSON_AddStringToObject(project, "id", iam->project_id);
    cJSON_AddStringToObject(project, "name", iam->region);
    cJSON_AddStringToObject(t, "issued_at", issued);
    cJSON *user = cJSON_AddObjectToObject(t, "user");
    cJSON_AddItemToObject(user, "domain", iam_domain_json(u));
    cJSON_AddStringToObject(user, "id", u->id);
    cJSON_AddStringToObject(user, "name", u->name);
    cJSON_AddStringToObject(user, "password_expires_at", "");
    return b;
}

/* Logs in; answers 201 or 401 into out. True when a token was issued. */
static bool iam_login(struct iam *iam, const struct request *r, const struct iam_login *l,
                      struct reply *out)
{
    g_autoptr(GHashTable) users = iam->users != NULL ? linefile_get(iam->users) : NULL;
    g_autofree char *key = iam_user_key(l->domain, l->user);
    const struct iam_user *u = users != NULL ? g_hash_table_lookup(users, key) : NULL;
    if (u == NULL || !iam_secret_equal(u->password, l->password)) {
        reply_iam_error(out, 401, "Unauthorized", "The username or password is wrong.");
        return false;
    }
    if (l->project_name != NULL ? strcmp(l->project_name, iam->region) != 0
                                : strcmp(l->project_id, iam->project_id) != 0) {
        g_autofree char *msg = g_strdup_printf(
            "The project %s is not a project of this account: the scope must name the region "
            "%s.",
            l->project_name != NULL ? l->project_name : l->project_id, iam->region);
        reply_iam_error(out, 401, "Unauthorized", msg);
        return false;
    }
    size_t len = 0;
    const char *nocatalog = request_arg(r, "nocatalog", &len);
    gint64 issued = iam_now(iam);
    gint64 expires = issued + iam->ttl_us;
    g_autoptr(cJSON) body = iam_token_json(iam, u, issued, expires, nocatalog == NULL || len == 0);
    g_autofree char *token = iam_token_make();
    iam_remember(iam, token, expires);
    reply_json(out, 201, body);
    reply_add_header(out, "X-Subject-Token", token);
    memset(token, 0, strlen(token));
    return true;
}

bool iam_handle(struct iam *iam, const struct request *r, struct reply *out)
{
    if (strcmp(r->method, "POST") != 0) {
        reply_iam_error(out, 405, "Method Not Allowed",
                        "The emulator serves only POST on /v3/auth/tokens.");
        out->allow = "POST";
        return false;
    }
    if (r->body_too_large) {
        reply_iam_error(out, 400, "Bad Request", "The request body is too large.");
        return false;
    }
    g_autoptr(cJSON) body = cJSON_ParseWithLength((const char *)r->body->data, r->body->len);
    if (!cJSON_IsObject(body)) {
        reply_iam_error(out, 400, "Bad Request", "The request body is not a JSON object.");
        return false;
    }
    struct iam_login l;
    g_autofree char *why = NULL;
    if (iam_login_parse(body, &l, &why) < 0) {
        reply_iam_error(out, 400, "Bad Request", why);
        return false;
    }
    return iam_login(iam, r, &l, out);
}

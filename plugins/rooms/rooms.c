/* The rooms plugin (kind "rooms"): okno's first consultation policy, deliberately an open one. Any
 * name may join any room in one of the roles configured in [plugin.rooms] roles (default kiosk,
 * specialist, observer); a join token is accepted and not yet checked; every participant receives
 * every other's tracks; joins and leaves are logged. Its state is written once in init and only
 * read afterwards, which is what makes may_receive safe to call from several media workers at
 * once. It deliberately has no queue, no tokens, no history and no storage yet: those are the next
 * policies to come here, and each will need its own locking story. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "okno/plugin.h"
#include "okno/rooms.h"

#define MAX_ROLES    32
#define MAX_ROLE_LEN 32 /* as the protocol bounds a role */

struct rooms_state {
    const struct okno_host_api *api;
    size_t n_roles;
    char roles[MAX_ROLES][MAX_ROLE_LEN + 1];
    char roles_text[MAX_ROLES * (MAX_ROLE_LEN + 2)]; /* "kiosk, specialist, observer" */
};

static bool is_role_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static int config_error(struct rooms_state *s, const char *fmt, const char *item)
{
    char reason[160];
    snprintf(reason, sizeof reason, fmt, item);
    s->api->log(s->api->ctx, OKNO_LOG_ERROR, "[plugin.rooms] roles: %s", reason);
    return OKNO_E_CONFIG;
}

/* Splits the comma-separated roles list; items are trimmed, empty items dropped. */
static int parse_roles(struct rooms_state *s, const char *text)
{
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        const char *end = p;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        size_t len = (size_t)(end - start);
        if (len == 0)
            continue;
        char item[MAX_ROLE_LEN + 1];
        if (len > MAX_ROLE_LEN)
            return config_error(s, "a role is at most 32 characters ('%.40s...')", start);
        memcpy(item, start, len);
        item[len] = '\0';
        for (size_t i = 0; i < len; i++) {
            if (!is_role_char(item[i]))
                return config_error(s, "role '%s' must be made of A-Z, a-z, 0-9, _ and -", item);
        }
        for (size_t i = 0; i < s->n_roles; i++) {
            if (strcmp(s->roles[i], item) == 0)
                return config_error(s, "role '%s' is listed twice", item);
        }
        if (s->n_roles == MAX_ROLES)
            return config_error(s, "more than 32 roles (at '%s')", item);
        memcpy(s->roles[s->n_roles++], item, len + 1);
    }
    if (s->n_roles == 0)
        return config_error(s, "must list at least one role%s", "");
    for (size_t i = 0; i < s->n_roles; i++) {
        size_t used = strlen(s->roles_text);
        snprintf(s->roles_text + used, sizeof s->roles_text - used, "%s%s", i ? ", " : "",
                 s->roles[i]);
    }
    return 0;
}

static int rooms_init(const struct okno_host_api *api, void **state)
{
    static const char *const known[] = {"roles", NULL};
    int rc = api->config_check_keys(api->ctx, known);
    if (rc != 0)
        return rc;
    struct rooms_state *s = calloc(1, sizeof *s);
    if (!s)
        return OKNO_E_NOMEM;
    s->api = api;
    const char *roles = api->config_get(api->ctx, "roles");
    rc = parse_roles(s, roles ? roles : "kiosk, specialist, observer");
    if (rc != 0) {
        free(s);
        return rc;
    }
    api->log(api->ctx, OKNO_LOG_INFO, "open rooms; roles: %s", s->roles_text);
    *state = s;
    return 0;
}

static void rooms_destroy(void *state)
{
    free(state);
}

static int rooms_authorize_join(void *state, const struct okno_rooms_participant *who,
                                const char *token, struct okno_rooms_join_decision *decision)
{
    (void)token; /* accepted, not yet checked */
    const struct rooms_state *s = state;
    for (size_t i = 0; who->role && i < s->n_roles; i++) {
        if (strcmp(s->roles[i], who->role) == 0)
            return 0;
    }
    int n = snprintf(decision->reason, sizeof decision->reason, "role '%.32s' is not one of %s",
                     who->role ? who->role : "", s->roles_text);
    if (n >= (int)sizeof decision->reason) /* a long list is cut: the reason is for people */
        memcpy(decision->reason + sizeof decision->reason - 4, "...", 4);
    return OKNO_E_DENIED;
}

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static bool rooms_may_receive(void *state, const struct okno_rooms_participant *subscriber,
                              const struct okno_rooms_participant *publisher, const char *kind)
{
    (void)state;
    (void)kind;
    return !(same(subscriber->room, publisher->room) &&
             same(subscriber->participant, publisher->participant));
}

static const char *text(const char *s)
{
    return s ? s : "-";
}

static void rooms_on_joined(void *state, const struct okno_rooms_participant *who)
{
    const struct rooms_state *s = state;
    s->api->log(s->api->ctx, OKNO_LOG_INFO, "%s joined room %s as %s (%s)", text(who->participant),
                text(who->room), text(who->role), text(who->name));
}

static void rooms_on_left(void *state, const struct okno_rooms_participant *who)
{
    const struct rooms_state *s = state;
    s->api->log(s->api->ctx, OKNO_LOG_INFO, "%s left room %s", text(who->participant),
                text(who->room));
}

static const struct okno_rooms_ops rooms_ops = {
    .size = sizeof(struct okno_rooms_ops),
    .authorize_join = rooms_authorize_join,
    .may_receive = rooms_may_receive,
    .on_joined = rooms_on_joined,
    .on_left = rooms_on_left,
};

static const struct okno_plugin_descriptor descriptor = {
    .abi_version = OKNO_PLUGIN_ABI_VERSION,
    .size = sizeof(struct okno_plugin_descriptor),
    .name = "rooms",
    .kind = "rooms",
    .version = "0.1.0",
    .init = rooms_init,
    .destroy = rooms_destroy,
    .ops = &rooms_ops,
};

OKNO_PLUGIN_EXPORT const struct okno_plugin_descriptor *okno_plugin_describe(void)
{
    return &descriptor;
}

/* The relay (relay.h). Every wake-up (a socket readable or the timer) reads the clock once, brings
 * the models' params up to the schedule, takes in what the sockets hold, sends whatever the
 * models let depart by then, and re-arms one timerfd at the earliest next event. A packet's bytes
 * sit in a slot of a per-direction pool whose index is the model's cookie; free slots form a
 * stack. The pools have as many slots as the models, so a slot is free whenever the model would
 * accept. Sockets are non-blocking and read in bounded batches so that one flooding client cannot
 * starve the timer. It deliberately leaves statistics printing to its owner (main.c). */
#include "linkemu/relay.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "core/clock.h"
#include "okno/err.h"

#define READ_BATCH 64

struct client {
    struct okno_relay *r;
    struct sockaddr_in addr; /* the client's source address */
    int fd;                  /* upstream socket, connected to the target */
    GSource *src;
    int mapping;
};

struct mapping {
    struct okno_relay *r;
    int index;
    int fd;
    GSource *src;
    struct sockaddr_in target;
    struct client *clients; /* max_clients, allocated with the mapping */
    size_t n_clients;
};

struct slot {
    struct client *client; /* up: sends on its socket; down: replies to its address */
    size_t len;
    uint8_t data[OKNO_RELAY_MAX_DATAGRAM];
};

struct pool {
    struct okno_link *link;
    struct slot *slots;
    struct slot *spare; /* one more slot past the pool's, for reads with no free slot */
    uint32_t *free;     /* stack of free slot indices */
    size_t n_free;
};

struct okno_relay {
    /* borrowed */
    GMainContext *ctx;
    const struct okno_schedule *schedule;
    /* owned */
    struct okno_schedule perfect; /* used when the config gives no schedule */
    struct pool dir[2];           /* [0] up, [1] down */
    struct mapping maps[OKNO_RELAY_MAX_MAPPINGS];
    int n_maps;
    int timer_fd;
    GSource *timer_src;
    /* other */
    size_t max_clients;
    int64_t start_us;
    int64_t next_change_us; /* schedule time of the next change */
    uint64_t clients, oversize, refused, send_errors;
    /* How late the timer's wakes came (the thread busy elsewhere): the emulator's own error. */
    int64_t armed_us; /* INT64_MAX: disarmed */
    struct okno_qdelay_hist wake_late;
    int64_t wake_late_max_us;
    /* Taken by every entry point and callback, so that a relay whose context another thread
     * iterates (relay_thread.h) can be asked for mappings and statistics from its owner's. */
    GMutex lock;
};

int okno_relay_parse_addr(const char *text, struct sockaddr_in *out)
{
    char host[64];
    const char *colon = text ? strrchr(text, ':') : NULL;
    if (!colon || (size_t)(colon - text) >= sizeof host || colon == text)
        return OKNO_E_MALFORMED;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    char *end = NULL;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || port > 65535 || colon[1] == '-' || colon[1] == '+')
        return OKNO_E_MALFORMED;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
        return OKNO_E_MALFORMED;
    if ((ntohl(a.sin_addr.s_addr) >> 24) != 127)
        return OKNO_E_DENIED;
    *out = a;
    return 0;
}

static void arm_timer(struct okno_relay *r, int64_t at_us)
{
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    r->armed_us = at_us;
    if (at_us != INT64_MAX) {
        if (at_us < 1)
            at_us = 1; /* an all-zero value would disarm it */
        its.it_value.tv_sec = at_us / 1000000;
        its.it_value.tv_nsec = (at_us % 1000000) * 1000;
    }
    timerfd_settime(r->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void apply_schedule(struct okno_relay *r, int64_t now_us)
{
    int64_t t = now_us - r->start_us;
    if (t < r->next_change_us)
        return;
    struct okno_link_params p[2];
    okno_schedule_params_at(r->schedule, t, &p[0], &p[1]);
    /* okno_schedule_check passed at create, so these cannot fail */
    okno_link_set_params(r->dir[0].link, now_us, &p[0]);
    okno_link_set_params(r->dir[1].link, now_us, &p[1]);
    r->next_change_us = okno_schedule_next_change(r->schedule, t);
}

static void send_due(struct okno_relay *r, int d, int64_t now_us)
{
    struct pool *pool = &r->dir[d];
    uint64_t cookie;
    while (okno_link_dequeue(pool->link, now_us, &cookie, NULL)) {
        struct slot *s = &pool->slots[cookie];
        struct client *c = s->client;
        ssize_t n;
        if (d == 0) {
            n = send(c->fd, s->data, s->len, MSG_DONTWAIT);
        } else {
            int fd = r->maps[c->mapping].fd;
            n = sendto(fd, s->data, s->len, MSG_DONTWAIT, (const struct sockaddr *)&c->addr,
                       sizeof c->addr);
        }
        if (n < 0)
            r->send_errors++;
        pool->free[pool->n_free++] = (uint32_t)cookie;
    }
}

/* Sends what is due and re-arms the timer. */
static void pump(struct okno_relay *r, int64_t now_us)
{
    apply_schedule(r, now_us);
    send_due(r, 0, now_us);
    send_due(r, 1, now_us);
    int64_t next = okno_link_next_departure(r->dir[0].link);
    int64_t down = okno_link_next_departure(r->dir[1].link);
    if (down < next)
        next = down;
    if (r->next_change_us != INT64_MAX && r->start_us + r->next_change_us < next)
        next = r->start_us + r->next_change_us;
    arm_timer(r, next);
}

/* Reads up to READ_BATCH datagrams from fd of mapping m into direction d's pool and offers them
 * to its model. For the up direction the client is found (or made) from the source address; for
 * down it is c. */
static struct client *client_for(struct mapping *m, const struct sockaddr_in *from);

static void take_in(struct okno_relay *r, int d, int fd, struct mapping *m, struct client *c,
                    int64_t now_us)
{
    struct pool *pool = &r->dir[d];
    for (int i = 0; i < READ_BATCH; i++) {
        struct slot *s = pool->n_free ? &pool->slots[pool->free[pool->n_free - 1]] : NULL;
        /* with no slot the model cannot take it anyway: read it into the spare to count it */
        uint8_t *buf = s ? s->data : pool->spare->data;
        struct sockaddr_in from = {0};
        socklen_t fromlen = sizeof from;
        ssize_t n = recvfrom(fd, buf, OKNO_RELAY_MAX_DATAGRAM, MSG_DONTWAIT | MSG_TRUNC,
                             (struct sockaddr *)&from, &fromlen);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            continue; /* e.g. ECONNREFUSED from an earlier send: the socket lives on */
        }
        if (n > OKNO_RELAY_MAX_DATAGRAM) {
            r->oversize++;
            continue;
        }
        struct client *owner = c;
        if (d == 0) {
            owner = client_for(m, &from);
            if (!owner) {
                r->refused++;
                continue;
            }
        }
        uint64_t cookie = s ? pool->free[pool->n_free - 1] : 0;
        if (!s) {
            /* No free slot means the model is full (same count): it drops this as overflow,
               and its counters see the packet like any other. */
            okno_link_enqueue(pool->link, now_us, (size_t)n, cookie);
            continue;
        }
        s->client = owner;
        s->len = (size_t)n;
        if (okno_link_enqueue(pool->link, now_us, (size_t)n, cookie) == OKNO_LINK_ACCEPTED)
            pool->n_free--;
    }
}

/* A socket of direction d is readable: under the lock, what it holds goes into the model and
 * whatever is due leaves. */
static void on_readable(struct okno_relay *r, int d, int fd, struct mapping *m, struct client *c)
{
    g_mutex_lock(&r->lock);
    int64_t now = okno_clock_now_us();
    apply_schedule(r, now);
    take_in(r, d, fd, m, c, now);
    pump(r, now);
    g_mutex_unlock(&r->lock);
}

static gboolean on_upstream(gint fd, GIOCondition cond, gpointer data)
{
    (void)cond;
    struct client *c = data;
    on_readable(c->r, 1, fd, &c->r->maps[c->mapping], c);
    return G_SOURCE_CONTINUE;
}

static gboolean on_listen(gint fd, GIOCondition cond, gpointer data)
{
    (void)cond;
    struct mapping *m = data;
    on_readable(m->r, 0, fd, m, NULL);
    return G_SOURCE_CONTINUE;
}

static gboolean on_timer(gint fd, GIOCondition cond, gpointer data)
{
    (void)cond;
    uint64_t expirations;
    struct okno_relay *r = data;
    g_mutex_lock(&r->lock);
    int64_t now = okno_clock_now_us();
    /* EAGAIN: re-armed since it fired; nothing to clear, and no wake to time */
    if (read(fd, &expirations, sizeof expirations) > 0 && r->armed_us != INT64_MAX) {
        int64_t late = now - r->armed_us;
        okno_qdelay_add(&r->wake_late, late);
        if (late > r->wake_late_max_us)
            r->wake_late_max_us = late;
    }
    pump(r, now);
    g_mutex_unlock(&r->lock);
    return G_SOURCE_CONTINUE;
}

static GSource *watch(struct okno_relay *r, int fd, GUnixFDSourceFunc fn, void *data)
{
    GSource *src = g_unix_fd_source_new(fd, G_IO_IN);
    g_source_set_callback(src, G_SOURCE_FUNC(fn), data, NULL);
    g_source_attach(src, r->ctx);
    return src;
}

static void unwatch(GSource **src)
{
    if (*src) {
        g_source_destroy(*src);
        g_source_unref(*src);
        *src = NULL;
    }
}

static int udp_socket(const struct sockaddr_in *bind_to)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (bind_to && bind(fd, (const struct sockaddr *)bind_to, sizeof *bind_to) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static struct client *client_for(struct mapping *m, const struct sockaddr_in *from)
{
    for (size_t i = 0; i < m->n_clients; i++) {
        struct client *c = &m->clients[i];
        if (c->addr.sin_addr.s_addr == from->sin_addr.s_addr && c->addr.sin_port == from->sin_port)
            return c;
    }
    if (m->n_clients >= m->r->max_clients)
        return NULL;
    /* Not bound before the connect: the kernel then takes the source address the route to the
     * target names, which is 127.0.0.1 for a server on lo but 127.0.0.3 for Janus behind its veth
     * (bench/janus), whose namespace has no route back to 127.0.0.1. It stays a loopback one. */
    int fd = udp_socket(NULL);
    if (fd < 0)
        return NULL;
    struct sockaddr_in src = {0};
    socklen_t srclen = sizeof src;
    if (connect(fd, (const struct sockaddr *)&m->target, sizeof m->target) < 0 ||
        getsockname(fd, (struct sockaddr *)&src, &srclen) < 0 ||
        (ntohl(src.sin_addr.s_addr) >> 24) != 127) {
        close(fd);
        return NULL;
    }
    struct client *c = &m->clients[m->n_clients++];
    *c = (struct client){.r = m->r, .addr = *from, .fd = fd, .mapping = m->index};
    c->src = watch(m->r, fd, on_upstream, c);
    m->r->clients++;
    return c;
}

static int pool_init(struct pool *p, const struct okno_link_params *params, size_t n, uint64_t seed)
{
    int rc = okno_link_create(params, n, seed, &p->link);
    if (rc < 0)
        return rc;
    p->slots = calloc(n + 1, sizeof *p->slots);
    p->free = calloc(n, sizeof *p->free);
    if (!p->slots || !p->free)
        return OKNO_E_NOMEM;
    p->spare = &p->slots[n];
    for (size_t i = 0; i < n; i++)
        p->free[i] = (uint32_t)(n - 1 - i);
    p->n_free = n;
    return 0;
}

int okno_relay_create(GMainContext *ctx, const struct okno_relay_config *cfg, int64_t start_us,
                      struct okno_relay **out)
{
    if (!cfg || !out || cfg->max_packets > OKNO_LINK_MAX_PACKETS || cfg->max_clients > 4096)
        return OKNO_E_INVAL;
    if (cfg->schedule && okno_schedule_check(cfg->schedule, NULL) < 0)
        return OKNO_E_INVAL;
    struct okno_relay *r = calloc(1, sizeof *r);
    if (!r)
        return OKNO_E_NOMEM;
    r->ctx = ctx;
    r->timer_fd = -1;
    r->armed_us = INT64_MAX;
    g_mutex_init(&r->lock);
    okno_schedule_init(&r->perfect, NULL, NULL);
    r->schedule = cfg->schedule ? cfg->schedule : &r->perfect;
    r->max_clients = cfg->max_clients ? cfg->max_clients : 16;
    r->start_us = start_us;
    size_t n = cfg->max_packets ? cfg->max_packets : 4096;
    struct okno_link_params p[2];
    okno_schedule_params_at(r->schedule, 0, &p[0], &p[1]);
    r->next_change_us = okno_schedule_next_change(r->schedule, 0);
    int rc = pool_init(&r->dir[0], &p[0], n, cfg->seed);
    if (rc == 0)
        rc = pool_init(&r->dir[1], &p[1], n, cfg->seed + 1);
    if (rc == 0) {
        r->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (r->timer_fd < 0)
            rc = OKNO_E_IO;
    }
    if (rc < 0) {
        okno_relay_destroy(r);
        return rc;
    }
    r->timer_src = watch(r, r->timer_fd, on_timer, r);
    pump(r, okno_clock_now_us());
    *out = r;
    return 0;
}

static int add_mapping(struct okno_relay *r, const struct sockaddr_in *listen,
                       const struct sockaddr_in *target)
{
    if (r->n_maps >= OKNO_RELAY_MAX_MAPPINGS)
        return OKNO_E_NOSPC;
    struct mapping *m = &r->maps[r->n_maps];
    *m = (struct mapping){.r = r, .index = r->n_maps, .fd = -1, .target = *target};
    m->clients = calloc(r->max_clients, sizeof *m->clients);
    if (!m->clients)
        return OKNO_E_NOMEM;
    m->fd = udp_socket(listen);
    if (m->fd < 0) {
        free(m->clients);
        m->clients = NULL;
        return OKNO_E_IO;
    }
    m->src = watch(r, m->fd, on_listen, m);
    return r->n_maps++;
}

int okno_relay_add_mapping(struct okno_relay *r, const struct sockaddr_in *listen,
                           const struct sockaddr_in *target)
{
    if ((ntohl(listen->sin_addr.s_addr) >> 24) != 127 ||
        (ntohl(target->sin_addr.s_addr) >> 24) != 127)
        return OKNO_E_DENIED;
    if (target->sin_port == 0 || listen->sin_family != AF_INET || target->sin_family != AF_INET)
        return OKNO_E_INVAL;
    g_mutex_lock(&r->lock);
    int rc = add_mapping(r, listen, target);
    g_mutex_unlock(&r->lock);
    return rc;
}

int okno_relay_listen_port(struct okno_relay *r, int index)
{
    g_mutex_lock(&r->lock);
    int fd = index >= 0 && index < r->n_maps ? r->maps[index].fd : -1;
    g_mutex_unlock(&r->lock);
    if (fd < 0)
        return OKNO_E_NOTFOUND;
    struct sockaddr_in a = {0};
    socklen_t len = sizeof a;
    if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
        return OKNO_E_IO;
    return ntohs(a.sin_port);
}

void okno_relay_stats(struct okno_relay *r, struct okno_relay_stats *out)
{
    memset(out, 0, sizeof *out);
    g_mutex_lock(&r->lock);
    okno_link_stats(r->dir[0].link, &out->up);
    okno_link_stats(r->dir[1].link, &out->down);
    out->clients = r->clients;
    out->oversize = r->oversize;
    out->refused = r->refused;
    out->send_errors = r->send_errors;
    out->wake_late = r->wake_late;
    out->wake_late_max_us = r->wake_late_max_us;
    out->elapsed_us = okno_clock_now_us() - r->start_us;
    g_mutex_unlock(&r->lock);
}

void okno_relay_destroy(struct okno_relay *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n_maps; i++) {
        struct mapping *m = &r->maps[i];
        for (size_t k = 0; k < m->n_clients; k++) {
            unwatch(&m->clients[k].src);
            close(m->clients[k].fd);
        }
        free(m->clients);
        unwatch(&m->src);
        close(m->fd);
    }
    unwatch(&r->timer_src);
    if (r->timer_fd >= 0)
        close(r->timer_fd);
    for (int d = 0; d < 2; d++) {
        okno_link_destroy(r->dir[d].link);
        free(r->dir[d].slots);
        free(r->dir[d].free);
    }
    g_mutex_clear(&r->lock);
    free(r);
}

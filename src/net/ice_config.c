/* The ICE configuration value: defaults and validating setters. Addresses are checked with
 * inet_pton so a typo in the configuration file is reported when it is read, not when the first
 * peer joins. Nothing here keeps state between calls or talks to the network, apart from asking the
 * system which addresses the machine has. */
#include "net/ice_config.h"

#include <arpa/inet.h>
#include <glib.h>
#include <nice/interfaces.h>
#include <string.h>

#include "okno/err.h"

void okno_ice_config_init(struct okno_ice_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->udp = true;
    cfg->tcp = OKNO_ICE_TCP_PASSIVE;
    cfg->controlling = false;
    cfg->consent_timeout_ms = OKNO_ICE_CONSENT_TIMEOUT_MS;
}

/* True for an IPv4 or IPv6 literal that fits our storage. A scoped IPv6 address ("fe80::1%eth0") is
 * not one: inet_pton refuses the scope, which is what we want. */
static bool is_ip_literal(const char *addr)
{
    unsigned char buf[16];
    if (!addr || strlen(addr) >= OKNO_ICE_ADDRSTRLEN)
        return false;
    return inet_pton(AF_INET, addr, buf) == 1 || inet_pton(AF_INET6, addr, buf) == 1;
}

static bool is_ipv6_link_local(const char *addr)
{
    unsigned char a[16];
    return inet_pton(AF_INET6, addr, a) == 1 && a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

int okno_ice_config_add_address(struct okno_ice_config *cfg, const char *addr)
{
    if (!is_ip_literal(addr))
        return OKNO_E_INVAL;
    for (size_t i = 0; i < cfg->n_addresses; i++) {
        if (strcmp(cfg->addresses[i], addr) == 0)
            return OKNO_E_EXISTS;
    }
    if (cfg->n_addresses == OKNO_ICE_MAX_ADDRESSES)
        return OKNO_E_NOSPC;
    g_strlcpy(cfg->addresses[cfg->n_addresses], addr, sizeof cfg->addresses[0]);
    cfg->n_addresses++;
    return 0;
}

int okno_ice_config_add_default_addresses(struct okno_ice_config *cfg)
{
    int err = okno_ice_config_add_address(cfg, "127.0.0.1");
    if (err == OKNO_E_NOSPC)
        return err;
    /* libnice's own interface walk, so okno sees the machine exactly as libnice would by itself. */
    GList *ips = nice_interfaces_get_local_ips(FALSE);
    for (GList *l = ips; l; l = l->next) {
        const char *ip = l->data;
        if (!is_ip_literal(ip) || is_ipv6_link_local(ip))
            continue;
        err = okno_ice_config_add_address(cfg, ip);
        if (err == OKNO_E_NOSPC)
            break;
    }
    g_list_free_full(ips, g_free);
    return err == OKNO_E_NOSPC ? OKNO_E_NOSPC : (int)cfg->n_addresses;
}

int okno_ice_config_set_port_range(struct okno_ice_config *cfg, uint16_t min, uint16_t max)
{
    if ((min == 0) != (max == 0) || min > max)
        return OKNO_E_RANGE;
    cfg->port_min = min;
    cfg->port_max = max;
    return 0;
}

int okno_ice_config_set_announced(struct okno_ice_config *cfg, const char *addr)
{
    if (!addr || !*addr) {
        cfg->announced[0] = '\0';
        return 0;
    }
    if (!is_ip_literal(addr))
        return OKNO_E_INVAL;
    g_strlcpy(cfg->announced, addr, sizeof cfg->announced);
    return 0;
}

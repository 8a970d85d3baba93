/* coordinator.c -- the covenant rules on a match: who coordinates (policy [coordination]: an
 * ordered list of sectors, ties by the earliest signal), handing over, accepting, agreeing. */
#include "signals.h"

#include <stdio.h>
#include <string.h>

int vn_coordinator_assign(const vn_signal_rules_t *rules, vn_match_t *m)
{
    if (m->handover_to[0] && !vn_match_has_org(m, m->handover_to, 1))
        m->handover_to[0] = '\0'; /* the proposed one left or went inactive */
    if (m->by_handover && vn_match_has_org(m, m->coordinator, 1))
        return 0; /* an accepted handover holds while its coordinator takes part */
    m->by_handover = 0;
    vn_coord_candidate_t c[VN_MATCH_MAX];
    for (size_t i = 0; i < m->n; i++)
        c[i] = (vn_coord_candidate_t){m->part[i].org, m->part[i].sector, m->part[i].signal_date,
                                      m->part[i].registered, m->part[i].active};
    int best = vn_signal_choose_coordinator(rules, c, m->n);
    const char *chosen = best >= 0 ? m->part[best].org : "";
    if (strcmp(chosen, m->coordinator) == 0)
        return 0;
    snprintf(m->coordinator, sizeof m->coordinator, "%s", chosen);
    m->handover_to[0] = '\0';
    return 1;
}

#define REFUSE(c, ...)                          \
    do {                                        \
        *code = c;                              \
        snprintf(reason, len, __VA_ARGS__);     \
        return -1;                              \
    } while (0)

static const char *s_sector(const vn_match_t *m, const char *org)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->part[i].org, org) == 0)
            return m->part[i].sector;
    return NULL;
}

int vn_coordinator_handover(const vn_signal_rules_t *rules, vn_match_t *m, const char *org,
                            const char *to, const char **code, char *reason, size_t len)
{
    if (strcmp(m->coordinator, org) != 0)
        REFUSE("not-coordinator", "only the coordinator of %s (%s) can hand over", m->id,
               m->coordinator[0] ? m->coordinator : "none");
    if (strcmp(to, org) == 0)
        REFUSE("handover-invalid", "%s already coordinates %s", org, m->id);
    if (!vn_match_has_org(m, to, 1))
        REFUSE("not-in-match", "%.64s takes no active part in match %s", to, m->id);
    if (!vn_signal_may_coordinate(rules, s_sector(m, to), NULL))
        REFUSE("may-not-coordinate", "%s (sector %s) may not coordinate under the covenant rules",
               to, s_sector(m, to));
    snprintf(m->handover_to, sizeof m->handover_to, "%s", to);
    return 0;
}

int vn_coordinator_accept(vn_match_t *m, const char *org, const char **code, char *reason,
                          size_t len)
{
    if (!m->handover_to[0] || strcmp(m->handover_to, org) != 0)
        REFUSE("no-handover-offered", "no handover of %s to %s is pending", m->id, org);
    snprintf(m->coordinator, sizeof m->coordinator, "%s", org);
    m->handover_to[0] = '\0';
    m->by_handover = 1;
    return 0;
}

int vn_coordinator_agree(vn_match_t *m, const char *org, const char **code, char *reason,
                         size_t len)
{
    if (!vn_match_has_org(m, org, 1))
        REFUSE("not-in-match", "%s takes no active part in match %s", org, m->id);
    m->agreed = 1;
    return 0;
}

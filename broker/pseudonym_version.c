/* pseudonym_version.c -- retiring v1 pseudonyms: after [pseudonyms] refuse_v1_after the broker
 * refuses a subject pseudonym made with the shared network key (version 1, or 0 from an agent
 * older than the version field), so the network key can be destroyed (docs/pseudonyms.md). */
#include "broker.h"

#include <stdio.h>
#include <time.h>

int broker__pseudonym_version_refused(const broker_t *b, uint32_t version, uint64_t now,
                                      char *code, size_t code_len, char *en, size_t en_len,
                                      char *nl, size_t nl_len)
{
    uint64_t from = b->cfg.refuse_v1_from;
    if (version >= 2 || !from || now < from)
        return 0;
    time_t last = (time_t)(from - 86400);
    struct tm tm;
    char day[16] = "?";
    if (gmtime_r(&last, &tm))
        strftime(day, sizeof day, "%Y-%m-%d", &tm);
    snprintf(code, code_len, "pseudonym-v1-retired");
    snprintf(en, en_len, "v1 pseudonyms (keyed hash under the shared network key) were accepted "
             "until %s; this agent must get its pseudonyms from the pseudonym service "
             "([pseudonymd] in its configuration)", day);
    snprintf(nl, nl_len, "v1-pseudoniemen (met de gedeelde netwerksleutel) werden aanvaard tot en "
             "met %s; deze agent moet zijn pseudoniemen bij de pseudonimiseringsdienst halen "
             "([pseudonymd] in zijn configuratie)", day);
    return 1;
}

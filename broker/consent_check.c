/* consent_check.c -- what a consent registration from a peer must hold before it is stored
 * (recipients, categories, purpose, period); pure, so the fuzz target runs it as the broker does. */
#include "broker.h"
#include "vn_envelope.h"
#include "vn_keys.h"
#include "vn_util.h"

#include <stdio.h>
#include <string.h>

#define MAX_LIST 32

/* NULL if r is a valid registration, else a refusal code with reason. */
const char *broker__consent_invalid(const Vn__ConsentRecord *r, char *reason, size_t len)
{
    if (r->subject_pseudonym.len != 32)
        return snprintf(reason, len, "a consent is about one subject (BSN)"), "consent-invalid";
    if (strcmp(r->given_by, "client") != 0 && strcmp(r->given_by, "wettelijk-vertegenwoordiger") != 0)
        return snprintf(reason, len, "given_by must be client or wettelijk-vertegenwoordiger"),
               "consent-invalid";
    if (r->n_recipients == 0 || r->n_recipients > MAX_LIST || r->n_categories == 0 ||
        r->n_categories > MAX_LIST)
        return snprintf(reason, len, "name 1 to %d recipients and categories", MAX_LIST),
               "consent-invalid";
    for (size_t i = 0; i < r->n_recipients; i++) {
        const char *x = r->recipients[i];
        int ok = strncmp(x, "sector:", 7) == 0 ? vn_sector_valid(x + 7) && strcmp(x + 7, "broker")
                                               : vn_org_id_valid(x);
        if (!ok)
            return snprintf(reason, len, "'%.64s' is neither an organisation nor sector:NAME", x),
                   "consent-invalid";
    }
    for (size_t i = 0; i < r->n_categories; i++)
        if (!vn_field_valid(r->categories[i], 64))
            return snprintf(reason, len, "invalid category"), "consent-invalid";
    if (!vn_field_valid(r->purpose, VN_FIELD_MAX))
        return snprintf(reason, len, "a consent states its purpose"), "consent-invalid";
    if (r->expires <= r->valid_from || r->expires <= vn_now())
        return snprintf(reason, len, "the consent must expire after it starts, in the future"),
               "consent-invalid";
    return NULL;
}

/* vn_basis.c -- the fixed list of legal bases a disclosure may rest on. */
#include "vn_basis.h"

#include <string.h>

const char *const vn_bases[] = {
    "consent",               /* toestemming of the client or legal representative */
    "meldrecht",             /* art. 5.2.6 Wmo 2015: report to Veilig Thuis (Meldcode step 5) */
    "advies",                /* Meldcode step 2: anonymous advice request to Veilig Thuis */
    "raad-1-240",            /* art. 1:240 BW: Raad voor de Kinderbescherming */
    "gi-ots",                /* art. 7.3.11 lid 4 Jeugdwet: certified institution, supervision order */
    "conflict-van-plichten", /* conflict of duties */
    "terugkoppeling",        /* Veilig Thuis informing the reporter */
    "signaal-match",         /* contact cards between the participants of a match (signals) */
    NULL,
};

int vn_basis_known(const char *basis)
{
    for (int i = 0; basis && vn_bases[i]; i++)
        if (strcmp(basis, vn_bases[i]) == 0)
            return 1;
    return 0;
}

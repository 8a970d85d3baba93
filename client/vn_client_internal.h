/* vn_client_internal.h -- what the client library's files share (nothing of it is exported). */
#ifndef VN_CLIENT_INTERNAL_H
#define VN_CLIENT_INTERNAL_H

#include "api.pb-c.h"
#include "vangnet/client.h"

#include "vn_apiclient.h"

struct vn_client {
    void *ctx, *sock, *monitor;
    char endpoint[512];
    char error[512];
    char code[64];
    char name[VN_API_NAME_MAX + 1];      /* tcp:// credential (vn_client_use_token_file) */
    char secret[VN_API_SECRET_HEX + 1];
    unsigned monitors;                   /* to name each socket's monitor endpoint afresh */
};

/* Record the last error (code: the agent's stable code or "") and return rc. */
int client__fail(vn_client_t *c, int rc, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Send one request and wait up to wait_ms (plus slack) for its response; *out is the caller's to
 * free. An ApiError answer becomes VN_CLIENT_E_AGENT. */
int client__call(vn_client_t *c, Vn__ApiRequest *req, uint32_t wait_ms, Vn__ApiResponse **out);
/* 0 if resp has body want; else frees resp and returns VN_CLIENT_E_PROTOCOL. */
int client__expect(vn_client_t *c, Vn__ApiResponse *resp, Vn__ApiResponse__BodyCase want);

/* vn_client_signal.c: copies of match views, cases and cards into the public structs. */
int client__match_fill(vn_client_match_t *out, const Vn__MatchInfo *m,
                       Vn__ApiLocalCase *const *cases, size_t n_cases,
                       Vn__ContactCard *const *cards, char *const *senders, size_t n_cards);
void client__match_clear(vn_client_match_t *m);
void client__case_copy(vn_client_case_t *out, const Vn__ApiLocalCase *c);
void client__card_copy(vn_client_card_t *out, const Vn__ContactCard *c, const char *sender);

#endif

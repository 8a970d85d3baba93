/* vocabulary.c -- the broker's copy of the shared vocabulary: loaded and signed at start and on
 * SIGHUP (a bad file changes nothing), sent to every agent whose revision is older after Hello. */
#include "broker.h"
#include "vn_audit.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_vocab.h"
#include "vn_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The configured clock offset for signal lifetimes: tests only, and loud about it. */
static void s_clock_offset(broker_t *b)
{
    const char *s = getenv("VANGNET_TEST_CLOCK_OFFSET");
    b->clock_offset = s ? strtoll(s, NULL, 10) : 0;
    if (b->clock_offset)
        vn_warn("event=test-clock-offset seconds=%lld note=\"signal lifetimes run on a shifted "
                "clock: for tests only\"", (long long)b->clock_offset);
}

int broker__vocab_load(broker_t *b, char *err, size_t errlen)
{
    if (!b->vocab && !b->vocab_msg)
        s_clock_offset(b);
    if (!b->cfg.vocabulary[0]) {
        vn_warn("event=no-vocabulary note=\"no vocabulary configured: signals are refused "
                "(unknown-term)\"");
        return 0;
    }
    vn_vocab_t *fresh = vn_vocab_load(b->cfg.vocabulary, err, errlen);
    if (!fresh)
        return -1;
    uint8_t *signed_vocab = NULL, *msg = NULL;
    size_t signed_len = 0, msg_len = 0;
    int rc = vn_vocab_sign(fresh, b->keys, &signed_vocab, &signed_len);
    Vn__SignedVocabulary *sv = rc == 0 ? vn__signed_vocabulary__unpack(NULL, signed_len,
                                                                       signed_vocab)
                                       : NULL;
    if (sv) {
        Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
        m.body_case = VN__WIRE_MESSAGE__BODY_VOCABULARY;
        m.vocabulary = sv;
        rc = vn_wire_pack(&m, &msg, &msg_len);
        vn__signed_vocabulary__free_unpacked(sv, NULL);
    } else {
        rc = rc ? rc : VN_E_MALFORMED;
    }
    free(signed_vocab);
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot sign the vocabulary: %s", b->cfg.vocabulary,
                 vn_strerror(rc));
        vn_vocab_destroy(&fresh);
        return -1;
    }
    uint64_t old_rev = vn_vocab_revision(b->vocab);
    pthread_rwlock_wrlock(&b->policy_lock);
    vn_vocab_t *old = b->vocab;
    b->vocab = fresh;
    pthread_rwlock_unlock(&b->policy_lock);
    vn_vocab_destroy(&old);
    free(b->vocab_msg); /* main thread only */
    b->vocab_msg = msg;
    b->vocab_msg_len = msg_len;
    vn_info("event=vocabulary-loaded file=%s name=%s revision=%llu terms=%zu%s", b->cfg.vocabulary,
            vn_vocab_name(fresh), (unsigned long long)vn_vocab_revision(fresh),
            vn_vocab_count(fresh), old_rev && old_rev > vn_vocab_revision(fresh)
                                       ? " warning=revision-went-down" : "");
    /* Agents connected now get it at once. */
    for (size_t i = 0; i < b->n_sessions; i++)
        if (b->sessions[i].state != SESSION_GONE && old_rev != vn_vocab_revision(fresh))
            broker__send(b, b->sessions[i].routing, b->sessions[i].routing_len, msg, msg_len);
    return 0;
}

void broker__vocab_send(broker_t *b, const uint8_t *routing, size_t routing_len,
                        uint64_t agent_revision)
{
    if (b->vocab_msg && agent_revision != vn_vocab_revision(b->vocab))
        broker__send(b, routing, routing_len, b->vocab_msg, b->vocab_msg_len);
}

/* vocab.c -- the shared vocabulary (signal categories, Meldcode and afwegingskader terms): accepted
 * only with the pinned broker key's signature (lib/vn_vocab.c), kept in the agent's store,
 * enforced on what the IT system sends, and shown to it (`vangnet vocab`). */
#include "agent.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_vocab.h"

#include <stdlib.h>
#include <string.h>

#define VOCAB_KEY "vocab"

void agent__vocab_load(agent_t *a)
{
    MDB_txn *txn;
    if (vn_store_begin(a->db, 1, &txn) != 0)
        return;
    MDB_val k = {strlen(VOCAB_KEY), VOCAB_KEY}, v;
    if (mdb_get(txn, vn_store_dbi(a->db, ADB_META), &k, &v) == 0) {
        int rc = vn_vocab_open(v.mv_data, v.mv_size, a->broker.sign_pk, &a->vocab);
        if (rc == 0)
            vn_info("event=vocabulary-loaded name=%s revision=%llu terms=%zu",
                    vn_vocab_name(a->vocab), (unsigned long long)vn_vocab_revision(a->vocab),
                    vn_vocab_count(a->vocab));
        else
            vn_error("event=vocabulary-unreadable error=\"%s\"", vn_strerror(rc));
    }
    mdb_txn_abort(txn);
}

void agent__on_vocabulary(agent_t *a, const Vn__SignedVocabulary *sv)
{
    size_t len = vn__signed_vocabulary__get_packed_size(sv);
    uint8_t *buf = len <= VN_VOCAB_MAX_BYTES ? malloc(len ? len : 1) : NULL;
    if (!buf) {
        vn_error("event=vocabulary-rejected error=\"%s\"", vn_strerror(VN_E_TOO_LARGE));
        return;
    }
    vn__signed_vocabulary__pack(sv, buf);
    vn_vocab_t *v = NULL;
    int rc = vn_vocab_open(buf, len, a->broker.sign_pk, &v);
    if (rc != 0) {
        vn_error("event=vocabulary-rejected error=\"%s\"", vn_strerror(rc));
        free(buf);
        return;
    }
    if (a->vocab && vn_vocab_revision(v) < vn_vocab_revision(a->vocab)) {
        vn_warn("event=vocabulary-older revision=%llu have=%llu",
                (unsigned long long)vn_vocab_revision(v),
                (unsigned long long)vn_vocab_revision(a->vocab));
        vn_vocab_destroy(&v);
        free(buf);
        return;
    }
    MDB_txn *txn = agent__txn(a);
    MDB_val k = {strlen(VOCAB_KEY), VOCAB_KEY}, val = {len, buf};
    if (txn && mdb_put(txn, vn_store_dbi(a->db, ADB_META), &k, &val, 0) == 0) {
        vn_vocab_destroy(&a->vocab);
        a->vocab = v;
        vn_info("event=vocabulary-updated name=%s revision=%llu terms=%zu", vn_vocab_name(v),
                (unsigned long long)vn_vocab_revision(v), vn_vocab_count(v));
    } else {
        vn_vocab_destroy(&v);
    }
    free(buf);
}

int agent__vocab_allows(const agent_t *a, const char *kind, const char *term)
{
    if (!a->vocab)
        return 1;
    if (vn_vocab_has(a->vocab, kind, term))
        return 1;
    for (size_t i = 0; i < vn_vocab_count(a->vocab); i++)
        if (strcmp(vn_vocab_term(a->vocab, i)->kind, kind) == 0)
            return 0; /* the vocabulary has terms of this kind, not this one */
    return 1;
}

void agent__vocab(agent_t *a, const uint8_t *routing, size_t routing_len)
{
    size_t n = a->vocab ? vn_vocab_count(a->vocab) : 0;
    Vn__VocabularyTerm **terms = calloc(n + 1, sizeof *terms);
    Vn__Vocabulary voc = VN__VOCABULARY__INIT;
    if (a->vocab && terms) {
        voc.version = 1;
        voc.name = (char *)vn_vocab_name(a->vocab);
        voc.revision = vn_vocab_revision(a->vocab);
        for (size_t i = 0; i < n; i++)
            terms[i] = (Vn__VocabularyTerm *)vn_vocab_term(a->vocab, i);
        voc.n_terms = n;
        voc.terms = terms;
    }
    Vn__ApiVocabResult r = VN__API_VOCAB_RESULT__INIT;
    r.vocabulary = &voc;
    r.verified = a->vocab != NULL;
    Vn__ApiResponse resp = VN__API_RESPONSE__INIT;
    resp.body_case = VN__API_RESPONSE__BODY_VOCAB;
    resp.vocab = &r;
    agent__reply_after_commit(a, routing, routing_len, &resp);
    free(terms);
}

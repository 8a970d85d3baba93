/* vn_vocab.h -- the shared vocabulary (signal categories, notification categories, Meldcode and
 * afwegingskader terms): read from config/vocabulary.conf, signed by the broker, checked by
 * agents with the pinned broker key, looked up by both. */
#ifndef VN_VOCAB_H
#define VN_VOCAB_H

#include "vn_error.h"

#include <stddef.h>
#include <stdint.h>

#include "signal.pb-c.h"
#include "vn_keys.h"

#define VN_VOCAB_DOMAIN "vangnet-vocabulary-v1"
#define VN_VOCAB_MAX_TERMS 1024
#define VN_VOCAB_MAX_BYTES (1024 * 1024) /* a signed vocabulary is at most this big */

typedef struct vn_vocab vn_vocab_t;

/* Read an INI vocabulary file: a [vocabulary] section (name, revision >= 1) and one section per
 * term, [signal-category:TERM], [category:TERM] or [justification:TERM], each with gloss_en and
 * definition. NULL on any error, with err naming file, line and reason. */
vn_vocab_t *vn_vocab_load(const char *path, char *err, size_t errlen);
/* From a verified Vocabulary message (the agent's side). NULL if it is not well formed. */
vn_vocab_t *vn_vocab_from_proto(const Vn__Vocabulary *v, char *err, size_t errlen);
void vn_vocab_destroy(vn_vocab_t **self_p);

/* 1 if term is in the vocabulary as kind ("signal-category", "category", "justification").
 * 0 for a NULL vocabulary. */
int vn_vocab_has(const vn_vocab_t *v, const char *kind, const char *term);
uint64_t vn_vocab_revision(const vn_vocab_t *v);
const char *vn_vocab_name(const vn_vocab_t *v);
size_t vn_vocab_count(const vn_vocab_t *v);
/* The i-th term (file order). */
const Vn__VocabularyTerm *vn_vocab_term(const vn_vocab_t *v, size_t i);

/* A SignedVocabulary, packed (caller frees): the Vocabulary signed with Ed25519 by broker over
 * VN_VOCAB_DOMAIN || vocabulary bytes. */
int vn_vocab_sign(const vn_vocab_t *v, const vn_keyset_t *broker, uint8_t **out, size_t *len)
    VN_MUST_USE;
/* Check a SignedVocabulary with the pinned broker key: *out (free with vn_vocab_destroy) on
 * success; VN_E_MALFORMED, VN_E_BAD_SIGNATURE, VN_E_VERSION or VN_E_TOO_LARGE. */
int vn_vocab_open(const uint8_t *buf, size_t len, const uint8_t broker_sign_pk[32],
                  vn_vocab_t **out) VN_MUST_USE;

/* The terms, one block each (kind, term, gloss, definition). */
void vn_vocab_print(const vn_vocab_t *v, void *file);

#endif

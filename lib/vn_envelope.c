/* vn_envelope.c -- XChaCha20-Poly1305 content, X25519 key wrapping per recipient, Ed25519 signature. */
#include "vn_envelope.h"
#include "vn_batch.h"
#include "vn_error.h"
#include "vn_util.h"
#include "vn_wrap.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define SIG_DOMAIN "vangnet-envelope-v1"

#define KEY_BYTES crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES

/* Randomness source: the system's, or a seed-derived stream for known-answer tests. */
typedef struct {
    const uint8_t *seed;
    uint64_t counter;
} s_rng_t;

static void s_random(s_rng_t *rng, uint8_t *buf, size_t len)
{
    if (!rng->seed) {
        randombytes_buf(buf, len);
        return;
    }
    uint8_t sub[randombytes_SEEDBYTES];
    crypto_generichash(sub, sizeof sub, (const uint8_t *)&rng->counter, sizeof rng->counter,
                       rng->seed, 32);
    rng->counter++;
    randombytes_buf_deterministic(buf, len, sub);
    sodium_memzero(sub, sizeof sub);
}

/* A message id: unix milliseconds (48 bits, big-endian), then 80 random bits. Every B-tree keyed
 * by message id (the broker's deduplication records, the agents' outbox, results and inbox
 * indexes) then grows at its end, and a commit rewrites a page or two there instead of one page
 * per message. 80 bits keep ids unguessable and unique; the time is already in the signed header
 * (`created`). Known-answer tests (seeded) keep all 16 bytes from the seed, so vectors stay. */
static void s_message_id(s_rng_t *rng, uint8_t msgid[VN_MSGID_BYTES])
{
    s_random(rng, msgid, VN_MSGID_BYTES);
    if (rng->seed)
        return;
    uint64_t ms = vn_now_us() / 1000;
    for (int i = 0; i < 6; i++)
        msgid[i] = (uint8_t)(ms >> (40 - 8 * i));
}

static void s_signed_message(uint8_t out[19 + 64], const uint8_t *header, size_t header_len,
                             const uint8_t ct_hash[32])
{
    memcpy(out, SIG_DOMAIN, 19);
    crypto_generichash(out + 19, 32, header, header_len, NULL, 0);
    memcpy(out + 19 + 32, ct_hash, 32);
}

static int s_params_valid(const vn_seal_params_t *p, size_t content_len)
{
    if (p->n_recipients == 0 || p->n_recipients > VN_MAX_RECIPIENTS ||
        p->n_justification > VN_MAX_JUSTIFICATION || content_len > (size_t)1 << 30)
        return 0;
    if (!vn_field_valid(p->category, VN_FIELD_MAX) || !vn_field_valid(p->basis, VN_FIELD_MAX) ||
        !vn_field_valid(p->user_id, VN_FIELD_MAX) || !vn_field_valid(p->user_role, VN_FIELD_MAX))
        return 0;
    if (p->api_caller && p->api_caller[0] && !vn_field_valid(p->api_caller, VN_FIELD_MAX))
        return 0;
    if (p->match_id && p->match_id[0] && !vn_field_valid(p->match_id, 64))
        return 0;
    for (size_t i = 0; i < p->n_recipients; i++)
        if (!vn_org_id_valid(p->recipients[i].org) || !p->recipients[i].box_pk)
            return 0;
    for (size_t i = 0; i < p->n_justification; i++)
        if (!vn_field_valid(p->justification[i].key, VN_FIELD_MAX) ||
            !vn_field_valid(p->justification[i].value, VN_FIELD_MAX))
            return 0;
    return p->expires > p->created;
}

/* The header the broker reads and the content is bound to, packed into *out (the caller's). */
static int s_pack_header(const vn_seal_params_t *p, const vn_keyset_t *sender,
                         size_t content_len, const uint8_t msgid[VN_MSGID_BYTES],
                         const uint8_t nonce[NONCE_BYTES], uint8_t **out, size_t *out_len)
{
    char **recips = calloc(p->n_recipients, sizeof *recips);
    Vn__Justification *just = calloc(p->n_justification + 1, sizeof *just);
    Vn__Justification **just_ptrs = calloc(p->n_justification + 1, sizeof *just_ptrs);
    int rc = -ENOMEM;
    if (!recips || !just || !just_ptrs)
        goto done;
    Vn__Header hdr = VN__HEADER__INIT;
    hdr.version = VN_ENVELOPE_VERSION;
    hdr.message_id = (ProtobufCBinaryData){VN_MSGID_BYTES, (uint8_t *)msgid};
    hdr.sender = (char *)sender->pub.org;
    for (size_t i = 0; i < p->n_recipients; i++)
        recips[i] = (char *)p->recipients[i].org;
    hdr.n_recipients = p->n_recipients;
    hdr.recipients = recips;
    hdr.category = (char *)p->category;
    hdr.basis = (char *)p->basis;
    for (size_t i = 0; i < p->n_justification; i++) {
        vn__justification__init(&just[i]);
        just[i].key = (char *)p->justification[i].key;
        just[i].value = (char *)p->justification[i].value;
        just_ptrs[i] = &just[i];
    }
    hdr.n_justification = p->n_justification;
    hdr.justification = just_ptrs;
    if (p->subject_pseudonym) {
        hdr.subject_pseudonym = (ProtobufCBinaryData){32, (uint8_t *)p->subject_pseudonym};
        hdr.subject_pseudonym_version = p->subject_pseudonym_version;
    }
    hdr.created = p->created;
    hdr.expires = p->expires;
    hdr.content_length = content_len;
    hdr.user_id = (char *)p->user_id;
    hdr.user_role = (char *)p->user_role;
    if (p->api_caller)
        hdr.api_caller = (char *)p->api_caller;
    if (p->match_id)
        hdr.match_id = (char *)p->match_id;
    hdr.sender_sign_key = (ProtobufCBinaryData){32, (uint8_t *)sender->pub.sign_pk};
    hdr.content_nonce = (ProtobufCBinaryData){NONCE_BYTES, (uint8_t *)nonce};
    *out_len = vn__header__get_packed_size(&hdr);
    if (!(*out = malloc(*out_len)))
        goto done;
    vn__header__pack(&hdr, *out);
    rc = 0;
done:
    free(recips);
    free(just);
    free(just_ptrs);
    return rc;
}

/* One wrapping of the content key per recipient (vn_wrap.h): a fresh ephemeral X25519 key
 * each, or the batch's for a recipient already wrapped to in it (p->wrap_batch). An ephemeral
 * secret is drawn for every wrapping either way, so seeded streams do not depend on the batch.
 * wraps, wrap_ptrs and material have n_recipients entries. */
typedef uint8_t s_wrap_material_t[32 + VN_WRAP_SEALED_BYTES];

static int s_wrap_keys(const vn_seal_params_t *p, const uint8_t key[KEY_BYTES],
                       const uint8_t msgid[VN_MSGID_BYTES], const uint8_t nonce[NONCE_BYTES],
                       s_rng_t *rng, Vn__WrappedKey *wraps, Vn__WrappedKey **wrap_ptrs,
                       s_wrap_material_t *material)
{
    for (size_t i = 0; i < p->n_recipients; i++) {
        uint8_t eph_sk[32];
        uint8_t *eph_pk = material[i], *sealed = material[i] + 32;
        uint32_t version;
        s_random(rng, eph_sk, sizeof eph_sk);
        int rc = vn_wrap_seal(p->wrap_batch, eph_sk, p->recipients[i].org,
                              p->recipients[i].box_pk, msgid, nonce, key, eph_pk, sealed,
                              &version);
        sodium_memzero(eph_sk, sizeof eph_sk);
        if (rc != 0)
            return rc;
        vn__wrapped_key__init(&wraps[i]);
        wraps[i].recipient = (char *)p->recipients[i].org;
        wraps[i].message_id = (ProtobufCBinaryData){VN_MSGID_BYTES, (uint8_t *)msgid};
        wraps[i].ephemeral_key = (ProtobufCBinaryData){32, eph_pk};
        wraps[i].sealed_key = (ProtobufCBinaryData){VN_WRAP_SEALED_BYTES, sealed};
        wraps[i].derivation = version;
        wrap_ptrs[i] = &wraps[i];
    }
    return 0;
}

/* A sealed envelope waiting for its signature (alone, or with others under one batch root). */
struct vn_sealed {
    uint8_t *header_buf, *ct;
    size_t header_len, ct_len, n_wraps;
    uint8_t ct_hash[32];
    uint8_t signed_msg[VN_SIGNED_MSG_BYTES]; /* what a single signature covers; a batch leaf's input */
    Vn__WrappedKey *wraps, **wrap_ptrs;
    s_wrap_material_t *wrap_material;
    char (*orgs)[VN_ORG_MAX + 1];
    uint8_t msgid[VN_MSGID_BYTES];
};

void vn_sealed_free(vn_sealed_t *s)
{
    if (!s)
        return;
    free(s->header_buf);
    free(s->ct);
    free(s->wraps);
    free(s->wrap_ptrs);
    free(s->wrap_material);
    free(s->orgs);
    free(s);
}

static int s_seal(const vn_seal_params_t *p, const vn_keyset_t *sender, const uint8_t *content,
                  size_t content_len, s_rng_t *rng, uint8_t msgid[VN_MSGID_BYTES],
                  vn_sealed_t **out)
{
    if (!s_params_valid(p, content_len))
        return VN_E_INVALID;

    int rc;
    uint8_t key[KEY_BYTES], nonce[NONCE_BYTES];
    vn_sealed_t *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;

    uint8_t given[VN_MSGID_BYTES] = {0}; /* p->message_id may be msgid itself */
    if (p->message_id)
        memcpy(given, p->message_id, VN_MSGID_BYTES);
    s_message_id(rng, msgid); /* drawn either way: the seeded stream stays as it was */
    if (p->message_id)
        memcpy(msgid, given, VN_MSGID_BYTES);
    s_random(rng, key, sizeof key);
    s_random(rng, nonce, sizeof nonce);
    if ((rc = s_pack_header(p, sender, content_len, msgid, nonce, &s->header_buf,
                            &s->header_len)) != 0)
        goto fail;

    /* Content, bound to the header */
    s->ct_len = content_len + TAG_BYTES;
    s->ct = malloc(s->ct_len);
    if (!s->ct) { rc = -ENOMEM; goto fail; }
    unsigned long long produced = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(s->ct, &produced, content, content_len,
                                               s->header_buf, s->header_len, NULL, nonce, key);
    crypto_generichash(s->ct_hash, sizeof s->ct_hash, s->ct, s->ct_len, NULL, 0);

    s->n_wraps = p->n_recipients;
    s->wraps = calloc(p->n_recipients, sizeof *s->wraps);
    s->wrap_ptrs = calloc(p->n_recipients, sizeof *s->wrap_ptrs);
    s->wrap_material = calloc(p->n_recipients, sizeof *s->wrap_material);
    s->orgs = calloc(p->n_recipients, sizeof *s->orgs);
    if (!s->wraps || !s->wrap_ptrs || !s->wrap_material || !s->orgs) { rc = -ENOMEM; goto fail; }
    if ((rc = s_wrap_keys(p, key, msgid, nonce, rng, s->wraps, s->wrap_ptrs, s->wrap_material)) != 0)
        goto fail;
    /* The wrappings borrowed the message id and recipient ids: own copies, as signing may come
     * after the caller's buffers (and its directory) are gone. */
    memcpy(s->msgid, msgid, VN_MSGID_BYTES);
    for (size_t i = 0; i < s->n_wraps; i++) {
        snprintf(s->orgs[i], sizeof s->orgs[i], "%s", p->recipients[i].org);
        s->wraps[i].recipient = s->orgs[i];
        s->wraps[i].message_id.data = s->msgid;
    }
    s_signed_message(s->signed_msg, s->header_buf, s->header_len, s->ct_hash);
    sodium_memzero(key, sizeof key);
    *out = s;
    return 0;
fail:
    sodium_memzero(key, sizeof key);
    vn_sealed_free(s);
    return rc;
}

/* Pack one signed envelope (batch: its place in the batch, else NULL). */
static int s_pack(const vn_sealed_t *s, const uint8_t sig[crypto_sign_BYTES],
                  Vn__BatchProof *batch, uint8_t **out, size_t *out_len)
{
    Vn__Envelope env = VN__ENVELOPE__INIT;
    env.version = VN_ENVELOPE_VERSION;
    env.header = (ProtobufCBinaryData){s->header_len, s->header_buf};
    env.ciphertext = (ProtobufCBinaryData){s->ct_len, s->ct};
    env.ciphertext_hash = (ProtobufCBinaryData){32, (uint8_t *)s->ct_hash};
    env.n_wrapped = s->n_wraps;
    env.wrapped = s->wrap_ptrs;
    env.signature = (ProtobufCBinaryData){crypto_sign_BYTES, (uint8_t *)sig};
    env.batch = batch;
    *out_len = vn__envelope__get_packed_size(&env);
    if (!(*out = malloc(*out_len)))
        return -ENOMEM;
    vn__envelope__pack(&env, *out);
    return 0;
}

int vn_envelope_sign(vn_sealed_t *const *s, size_t n, const vn_keyset_t *sender, uint8_t **out,
                     size_t *out_len)
{
    assert(s && sender && out && out_len);
    uint8_t sig[crypto_sign_BYTES];
    if (n == 0 || n > VN_BATCH_MAX)
        return VN_E_INVALID;
    if (n == 1) { /* signed alone, exactly as before batches existed */
        crypto_sign_detached(sig, NULL, s[0]->signed_msg, VN_SIGNED_MSG_BYTES, sender->sign_sk);
        return s_pack(s[0], sig, NULL, &out[0], &out_len[0]);
    }
    uint8_t leaves[VN_BATCH_MAX][VN_BATCH_HASH], msg[VN_BATCH_MSG_BYTES];
    uint8_t path[VN_BATCH_MAX_PATH][VN_BATCH_HASH];
    vn_batch_tree_t *t = malloc(sizeof *t);
    if (!t)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        vn_batch_leaf(s[i]->signed_msg, leaves[i]);
    int rc = vn_batch_tree_build(t, leaves[0], n);
    if (rc == 0) {
        vn_batch_signed_message(msg, (uint32_t)n, vn_batch_tree_root(t));
        crypto_sign_detached(sig, NULL, msg, sizeof msg, sender->sign_sk);
    }
    size_t done = 0;
    for (; rc == 0 && done < n; done++) {
        Vn__BatchProof proof = VN__BATCH_PROOF__INIT;
        proof.size = (uint32_t)n;
        proof.index = (uint32_t)done;
        size_t len = vn_batch_tree_path(t, done, path);
        proof.path = (ProtobufCBinaryData){len * VN_BATCH_HASH, (uint8_t *)path};
        rc = s_pack(s[done], sig, &proof, &out[done], &out_len[done]);
    }
    if (rc != 0) /* nothing half-signed leaves here */
        for (size_t i = 0; i + 1 < done; i++) {
            free(out[i]);
            out[i] = NULL;
        }
    free(t);
    return rc;
}

int vn_envelope_seal_unsigned(const vn_seal_params_t *p, const vn_keyset_t *sender,
                              const uint8_t *content, size_t content_len,
                              uint8_t msgid[VN_MSGID_BYTES], vn_sealed_t **out)
{
    assert(p && sender && msgid && out && (content || content_len == 0));
    s_rng_t rng = {0};
    return s_seal(p, sender, content, content_len, &rng, msgid, out);
}

int vn_envelope__seal_unsigned_seeded(const vn_seal_params_t *p, const vn_keyset_t *sender,
                                      const uint8_t *content, size_t content_len,
                                      const uint8_t seed[32], uint8_t msgid[VN_MSGID_BYTES],
                                      vn_sealed_t **out)
{
    s_rng_t rng = {.seed = seed};
    return s_seal(p, sender, content, content_len, &rng, msgid, out);
}

static int s_seal_signed(const vn_seal_params_t *p, const vn_keyset_t *sender,
                         const uint8_t *content, size_t content_len, s_rng_t *rng,
                         uint8_t msgid[VN_MSGID_BYTES], uint8_t **out, size_t *out_len)
{
    vn_sealed_t *s = NULL;
    int rc = s_seal(p, sender, content, content_len, rng, msgid, &s);
    if (rc == 0)
        rc = vn_envelope_sign(&s, 1, sender, out, out_len);
    vn_sealed_free(s);
    return rc;
}

int vn_envelope_seal(const vn_seal_params_t *p, const vn_keyset_t *sender, const uint8_t *content,
                     size_t content_len, uint8_t msgid[VN_MSGID_BYTES], uint8_t **out,
                     size_t *out_len)
{
    assert(p && sender && msgid && out && out_len && (content || content_len == 0));
    s_rng_t rng = {0};
    return s_seal_signed(p, sender, content, content_len, &rng, msgid, out, out_len);
}

int vn_envelope__seal_seeded(const vn_seal_params_t *p, const vn_keyset_t *sender,
                             const uint8_t *content, size_t content_len, const uint8_t seed[32],
                             uint8_t msgid[VN_MSGID_BYTES], uint8_t **out, size_t *out_len)
{
    s_rng_t rng = {.seed = seed};
    return s_seal_signed(p, sender, content, content_len, &rng, msgid, out, out_len);
}

void vn_parsed_clear(vn_parsed_t *p)
{
    if (p->hdr)
        vn__header__free_unpacked(p->hdr, NULL);
    if (p->env)
        vn__envelope__free_unpacked(p->env, NULL);
    p->hdr = NULL;
    p->env = NULL;
}

static int s_header_valid(const Vn__Header *h)
{
    if (h->message_id.len != VN_MSGID_BYTES || h->sender_sign_key.len != 32 ||
        h->content_nonce.len != NONCE_BYTES ||
        (h->subject_pseudonym.len != 0 && h->subject_pseudonym.len != 32) ||
        h->n_recipients == 0 || h->n_recipients > VN_MAX_RECIPIENTS ||
        h->n_justification > VN_MAX_JUSTIFICATION || !vn_org_id_valid(h->sender))
        return 0;
    for (size_t i = 0; i < h->n_recipients; i++)
        if (!vn_org_id_valid(h->recipients[i]))
            return 0;
    for (size_t i = 0; i < h->n_justification; i++)
        if (!vn_field_valid(h->justification[i]->key, VN_FIELD_MAX) ||
            !vn_field_valid(h->justification[i]->value, VN_FIELD_MAX))
            return 0;
    return vn_field_valid(h->category, VN_FIELD_MAX) && vn_field_valid(h->basis, VN_FIELD_MAX) &&
           vn_field_valid(h->user_id, VN_FIELD_MAX) && vn_field_valid(h->user_role, VN_FIELD_MAX) &&
           (!h->api_caller[0] || vn_field_valid(h->api_caller, VN_FIELD_MAX)) &&
           (!h->match_id[0] || vn_field_valid(h->match_id, 64));
}

int vn_envelope_parse(const uint8_t *buf, size_t len, vn_parsed_t *out)
{
    assert(out && (buf || len == 0));
    out->env = NULL;
    out->hdr = NULL;
    Vn__Envelope *env = vn__envelope__unpack(NULL, len, buf);
    if (!env)
        return VN_E_MALFORMED;
    out->env = env;
    if (env->version != VN_ENVELOPE_VERSION) {
        vn_parsed_clear(out);
        return VN_E_VERSION;
    }
    if (env->ciphertext_hash.len != 32 || env->signature.len != crypto_sign_BYTES ||
        env->ciphertext.len < TAG_BYTES || env->n_wrapped > VN_MAX_RECIPIENTS)
        goto malformed;
    /* A batch proof's shape; whether it is this leaf's path is the signature check's to say. */
    if (env->batch && (env->batch->size < 2 || env->batch->size > VN_BATCH_MAX ||
                       env->batch->index >= env->batch->size ||
                       env->batch->path.len % VN_BATCH_HASH != 0 ||
                       env->batch->path.len > VN_BATCH_MAX_PATH * VN_BATCH_HASH))
        goto malformed;
    out->hdr = vn__header__unpack(NULL, env->header.len, env->header.data);
    if (!out->hdr)
        goto malformed;
    if (out->hdr->version != VN_ENVELOPE_VERSION) {
        vn_parsed_clear(out);
        return VN_E_VERSION;
    }
    if (!s_header_valid(out->hdr) || out->hdr->content_length != env->ciphertext.len - TAG_BYTES)
        goto malformed;
    for (size_t i = 0; i < env->n_wrapped; i++) {
        const Vn__WrappedKey *w = env->wrapped[i];
        if (w->ephemeral_key.len != 32 || w->sealed_key.len != KEY_BYTES + TAG_BYTES ||
            !vn_org_id_valid(w->recipient))
            goto malformed;
    }
    return 0;
malformed:
    vn_parsed_clear(out);
    return VN_E_MALFORMED;
}

/* A batch member: its leaf leads along its path to a root the sender signed. A root verified
 * before (same key, size, root and signature bytes) is taken from the cache. */
static int s_verify_batch(const vn_parsed_t *p, const uint8_t signed_msg[VN_SIGNED_MSG_BYTES],
                          const uint8_t sender_sign_pk[32], vn_batch_cache_t *cache,
                          uint64_t generation)
{
    const Vn__BatchProof *b = p->env->batch;
    uint8_t leaf[VN_BATCH_HASH], root[VN_BATCH_HASH], msg[VN_BATCH_MSG_BYTES], id[VN_BATCH_HASH];
    vn_batch_leaf(signed_msg, leaf);
    if (vn_batch_root_from_path(leaf, b->index, b->size, b->path.data, b->path.len, root) != 0)
        return VN_E_BAD_SIGNATURE;
    vn_batch_signed_message(msg, b->size, root);
    if (cache) {
        crypto_generichash_state st;
        crypto_generichash_init(&st, NULL, 0, sizeof id);
        crypto_generichash_update(&st, sender_sign_pk, 32);
        crypto_generichash_update(&st, msg, sizeof msg);
        crypto_generichash_update(&st, p->env->signature.data, crypto_sign_BYTES);
        crypto_generichash_final(&st, id, sizeof id);
        if (vn_batch_cache_seen(cache, generation, p->hdr->sender, id))
            return 0;
    }
    if (crypto_sign_verify_detached(p->env->signature.data, msg, sizeof msg, sender_sign_pk) != 0)
        return VN_E_BAD_SIGNATURE;
    if (cache)
        vn_batch_cache_add(cache, generation, p->hdr->sender, id);
    return 0;
}

int vn_envelope_verify_cached(const vn_parsed_t *p, const uint8_t sender_sign_pk[32],
                              vn_batch_cache_t *cache, uint64_t generation)
{
    if (sodium_memcmp(p->hdr->sender_sign_key.data, sender_sign_pk, 32) != 0)
        return VN_E_WRONG_SENDER_KEY;
    uint8_t ct_hash[32];
    crypto_generichash(ct_hash, sizeof ct_hash, p->env->ciphertext.data, p->env->ciphertext.len,
                       NULL, 0);
    if (sodium_memcmp(ct_hash, p->env->ciphertext_hash.data, 32) != 0)
        return VN_E_CIPHERTEXT_MODIFIED;
    uint8_t to_sign[VN_SIGNED_MSG_BYTES];
    s_signed_message(to_sign, p->env->header.data, p->env->header.len, ct_hash);
    if (p->env->batch)
        return s_verify_batch(p, to_sign, sender_sign_pk, cache, generation);
    if (crypto_sign_verify_detached(p->env->signature.data, to_sign, sizeof to_sign,
                                    sender_sign_pk) != 0)
        return VN_E_BAD_SIGNATURE;
    return 0;
}

int vn_envelope_verify(const vn_parsed_t *p, const uint8_t sender_sign_pk[32])
{
    return vn_envelope_verify_cached(p, sender_sign_pk, NULL, 0);
}

int vn_envelope_decrypt(const vn_parsed_t *p, const vn_keyset_t *me, uint8_t **content,
                        size_t *content_len)
{
    return vn_envelope_decrypt_cached(p, me, NULL, content, content_len);
}

int vn_envelope_decrypt_cached(const vn_parsed_t *p, const vn_keyset_t *me,
                               vn_unwrap_cache_t *cache, uint8_t **content, size_t *content_len)
{
    assert(p && p->hdr && me && content && content_len);
    const Vn__Header *h = p->hdr;
    int listed = 0;
    for (size_t i = 0; i < h->n_recipients; i++)
        listed |= strcmp(h->recipients[i], me->pub.org) == 0;
    const Vn__WrappedKey *w = NULL;
    for (size_t i = 0; listed && i < p->env->n_wrapped; i++)
        if (strcmp(p->env->wrapped[i]->recipient, me->pub.org) == 0)
            w = p->env->wrapped[i];
    if (!w)
        return VN_E_NOT_RECIPIENT;
    if (w->message_id.len != VN_MSGID_BYTES ||
        memcmp(w->message_id.data, h->message_id.data, VN_MSGID_BYTES) != 0)
        return VN_E_WRAP_REPLAYED;

    uint8_t key[KEY_BYTES];
    if (vn_wrap_open(cache, w->derivation, me->pub.org, me->box_sk, me->pub.box_pk,
                     w->ephemeral_key.data, h->message_id.data, h->content_nonce.data,
                     w->sealed_key.data, w->sealed_key.len, key) != 0) /* sizes: parse checked */
        return VN_E_WRAP_INVALID;
    size_t len = p->env->ciphertext.len - TAG_BYTES;
    uint8_t *plain = malloc(len + 1);
    if (!plain) {
        sodium_memzero(key, sizeof key);
        return -ENOMEM;
    }
    int drc = crypto_aead_xchacha20poly1305_ietf_decrypt(
        plain, NULL, NULL, p->env->ciphertext.data, p->env->ciphertext.len, p->env->header.data,
        p->env->header.len, h->content_nonce.data, key);
    sodium_memzero(key, sizeof key);
    if (drc != 0) {
        free(plain);
        return VN_E_DECRYPT;
    }
    plain[len] = '\0';
    *content = plain;
    *content_len = len;
    return 0;
}

int vn_envelope_open(const uint8_t *buf, size_t len, const vn_keyset_t *me,
                     const uint8_t sender_sign_pk[32], vn_parsed_t *parsed, uint8_t **content,
                     size_t *content_len)
{
    int rc = vn_envelope_parse(buf, len, parsed);
    if (rc != 0)
        return rc;
    rc = vn_envelope_verify(parsed, sender_sign_pk);
    if (rc == 0)
        rc = vn_envelope_decrypt(parsed, me, content, content_len);
    if (rc != 0)
        vn_parsed_clear(parsed);
    return rc;
}

const char *vn_header_field(const Vn__Header *hdr, const char *key)
{
    for (size_t i = 0; i < hdr->n_justification; i++)
        if (strcmp(hdr->justification[i]->key, key) == 0)
            return hdr->justification[i]->value;
    return NULL;
}

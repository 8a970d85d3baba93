/* vn_vocab.c -- the shared vocabulary: INI parsing, lookup, signing and verification. */
#include "vn_vocab.h"
#include "vn_error.h"
#include "vn_util.h"

#include <errno.h>
#include <ini.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TERM_MAX 64
#define TEXT_MAX 2000

typedef struct {
    char kind[20];
    char term[TERM_MAX + 1];
    char *gloss_en, *definition;
} s_term_t;

struct vn_vocab {
    char name[65];
    uint64_t revision;
    s_term_t *terms;
    size_t n;
    Vn__VocabularyTerm *wire;  /* lazily built views for vn_vocab_term */
};

static const char *const s_kinds[] = {"signal-category", "category", "justification", NULL};

static int s_kind_known(const char *k)
{
    for (int i = 0; s_kinds[i]; i++)
        if (strcmp(k, s_kinds[i]) == 0)
            return 1;
    return 0;
}

/* Terms: lower-case letters, digits and '-', starting with a letter. */
static int s_term_valid(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > TERM_MAX || !(t[0] >= 'a' && t[0] <= 'z'))
        return 0;
    return strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static s_term_t *s_find(const vn_vocab_t *v, const char *kind, const char *term)
{
    for (size_t i = 0; v && i < v->n; i++)
        if (strcmp(v->terms[i].term, term) == 0 && strcmp(v->terms[i].kind, kind) == 0)
            return &v->terms[i];
    return NULL;
}

static int s_add(vn_vocab_t *v, const char *kind, const char *term, char *err, size_t errlen)
{
    if (!s_kind_known(kind) || !s_term_valid(term)) {
        snprintf(err, errlen, "[%.40s:%.70s]: a term section is [signal-category:TERM], "
                 "[category:TERM] or [justification:TERM], TERM of a-z 0-9 -", kind, term);
        return -1;
    }
    if (v->n == VN_VOCAB_MAX_TERMS) {
        snprintf(err, errlen, "more than %d terms", VN_VOCAB_MAX_TERMS);
        return -1;
    }
    s_term_t *more = realloc(v->terms, (v->n + 1) * sizeof *more);
    if (!more)
        return -1;
    v->terms = more;
    s_term_t *t = &v->terms[v->n++];
    memset(t, 0, sizeof *t);
    snprintf(t->kind, sizeof t->kind, "%s", kind);
    snprintf(t->term, sizeof t->term, "%s", term);
    return 0;
}

typedef struct {
    vn_vocab_t *v;
    char section[128];
    char err[300];
    int seen_name, seen_revision;
} s_parse_t;

static int s_handler(void *user, const char *section, const char *name, const char *value)
{
    s_parse_t *ps = user;
    vn_vocab_t *v = ps->v;
    if (ps->err[0])
        return 0;
    if (strcmp(section, "vocabulary") == 0) {
        if (strcmp(name, "name") == 0 && !ps->seen_name && vn_field_valid(value, 64)) {
            snprintf(v->name, sizeof v->name, "%s", value);
            ps->seen_name = 1;
            return 1;
        }
        if (strcmp(name, "revision") == 0 && !ps->seen_revision) {
            char *end;
            unsigned long long r = strtoull(value, &end, 10);
            if (value[0] && !*end && r >= 1) {
                v->revision = r;
                ps->seen_revision = 1;
                return 1;
            }
        }
        snprintf(ps->err, sizeof ps->err, "[vocabulary] %.40s = %.60s: expected name = TEXT and "
                 "revision = N (>= 1), each once", name, value);
        return 0;
    }
    if (strcmp(ps->section, section) != 0) {
        char kind[128], *colon;
        snprintf(kind, sizeof kind, "%s", section);
        if (!(colon = strchr(kind, ':'))) {
            snprintf(ps->err, sizeof ps->err, "[%.80s] is neither [vocabulary] nor a term", section);
            return 0;
        }
        *colon = '\0';
        if (s_find(v, kind, colon + 1)) {
            snprintf(ps->err, sizeof ps->err, "[%.80s] is given twice", section);
            return 0;
        }
        if (s_add(v, kind, colon + 1, ps->err, sizeof ps->err) != 0)
            return 0;
        snprintf(ps->section, sizeof ps->section, "%s", section);
    }
    s_term_t *t = &v->terms[v->n - 1];
    char **slot = strcmp(name, "gloss_en") == 0     ? &t->gloss_en
                  : strcmp(name, "definition") == 0 ? &t->definition
                                                    : NULL;
    if (!slot || *slot || !vn_field_valid(value, TEXT_MAX)) {
        snprintf(ps->err, sizeof ps->err, "[%.80s] %.40s: a term has gloss_en and definition, "
                 "each once, at most %d bytes", section, name, TEXT_MAX);
        return 0;
    }
    *slot = strdup(value);
    return *slot != NULL;
}

vn_vocab_t *vn_vocab_load(const char *path, char *err, size_t errlen)
{
    vn_vocab_t *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    s_parse_t ps = {.v = v};
    int line = ini_parse(path, s_handler, &ps);
    if (line < 0)
        snprintf(err, errlen, "%s: cannot read the vocabulary file", path);
    else if (line > 0)
        snprintf(err, errlen, "%s:%d: %s", path, line,
                 ps.err[0] ? ps.err : "syntax error (or a line longer than 200 characters)");
    else if (!ps.seen_name || !ps.seen_revision)
        snprintf(err, errlen, "%s: [vocabulary] needs name and revision", path);
    else if (v->n == 0)
        snprintf(err, errlen, "%s: defines no terms", path);
    else {
        for (size_t i = 0; i < v->n; i++)
            if (!v->terms[i].gloss_en || !v->terms[i].definition) {
                snprintf(err, errlen, "%s: [%s:%s] needs gloss_en and definition", path,
                         v->terms[i].kind, v->terms[i].term);
                vn_vocab_destroy(&v);
                return NULL;
            }
        return v;
    }
    vn_vocab_destroy(&v);
    return NULL;
}

vn_vocab_t *vn_vocab_from_proto(const Vn__Vocabulary *p, char *err, size_t errlen)
{
    if (p->version != 1 || p->revision == 0 || !vn_field_valid(p->name, 64) ||
        p->n_terms == 0 || p->n_terms > VN_VOCAB_MAX_TERMS) {
        snprintf(err, errlen, "the vocabulary is not well formed (version, name, revision, terms)");
        return NULL;
    }
    vn_vocab_t *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    snprintf(v->name, sizeof v->name, "%s", p->name);
    v->revision = p->revision;
    for (size_t i = 0; i < p->n_terms; i++) {
        const Vn__VocabularyTerm *t = p->terms[i];
        if (s_find(v, t->kind, t->term) || s_add(v, t->kind, t->term, err, errlen) != 0 ||
            !vn_field_valid(t->gloss_en, TEXT_MAX) || !vn_field_valid(t->definition, TEXT_MAX) ||
            !(v->terms[v->n - 1].gloss_en = strdup(t->gloss_en)) ||
            !(v->terms[v->n - 1].definition = strdup(t->definition))) {
            snprintf(err, errlen, "vocabulary term %zu is not well formed or given twice", i + 1);
            vn_vocab_destroy(&v);
            return NULL;
        }
    }
    return v;
}

void vn_vocab_destroy(vn_vocab_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    vn_vocab_t *v = *self_p;
    for (size_t i = 0; i < v->n; i++) {
        free(v->terms[i].gloss_en);
        free(v->terms[i].definition);
    }
    free(v->terms);
    free(v->wire);
    free(v);
    *self_p = NULL;
}

int vn_vocab_has(const vn_vocab_t *v, const char *kind, const char *term)
{
    return v && term && s_find(v, kind, term) != NULL;
}

uint64_t vn_vocab_revision(const vn_vocab_t *v)
{
    return v ? v->revision : 0;
}

const char *vn_vocab_name(const vn_vocab_t *v)
{
    return v ? v->name : "";
}

size_t vn_vocab_count(const vn_vocab_t *v)
{
    return v ? v->n : 0;
}

const Vn__VocabularyTerm *vn_vocab_term(const vn_vocab_t *v, size_t i)
{
    if (!v || i >= v->n)
        return NULL;
    vn_vocab_t *mut = (vn_vocab_t *)v;
    if (!mut->wire) {
        if (!(mut->wire = calloc(v->n, sizeof *mut->wire)))
            return NULL;
        for (size_t j = 0; j < v->n; j++) {
            vn__vocabulary_term__init(&mut->wire[j]);
            mut->wire[j].kind = mut->terms[j].kind;
            mut->wire[j].term = mut->terms[j].term;
            mut->wire[j].gloss_en = mut->terms[j].gloss_en;
            mut->wire[j].definition = mut->terms[j].definition;
        }
    }
    return &mut->wire[i];
}

int vn_vocab_sign(const vn_vocab_t *v, const vn_keyset_t *broker, uint8_t **out, size_t *len)
{
    Vn__Vocabulary p = VN__VOCABULARY__INIT;
    Vn__VocabularyTerm **ptrs = calloc(v->n, sizeof *ptrs);
    if (!ptrs || !vn_vocab_term(v, 0)) {
        free(ptrs);
        return -ENOMEM;
    }
    for (size_t i = 0; i < v->n; i++)
        ptrs[i] = &v->wire[i];
    p.version = 1;
    p.name = (char *)v->name;
    p.revision = v->revision;
    p.n_terms = v->n;
    p.terms = ptrs;
    size_t dl = strlen(VN_VOCAB_DOMAIN), vl = vn__vocabulary__get_packed_size(&p);
    uint8_t *msg = malloc(dl + vl), sig[crypto_sign_BYTES];
    int rc = msg ? 0 : -ENOMEM;
    if (rc == 0) {
        memcpy(msg, VN_VOCAB_DOMAIN, dl);
        vn__vocabulary__pack(&p, msg + dl);
        crypto_sign_detached(sig, NULL, msg, dl + vl, broker->sign_sk);
        Vn__SignedVocabulary sv = VN__SIGNED_VOCABULARY__INIT;
        sv.vocabulary = (ProtobufCBinaryData){vl, msg + dl};
        sv.signature = (ProtobufCBinaryData){sizeof sig, sig};
        *len = vn__signed_vocabulary__get_packed_size(&sv);
        if ((*out = malloc(*len)))
            vn__signed_vocabulary__pack(&sv, *out);
        else
            rc = -ENOMEM;
    }
    free(msg);
    free(ptrs);
    return rc;
}

int vn_vocab_open(const uint8_t *buf, size_t len, const uint8_t broker_sign_pk[32],
                  vn_vocab_t **out)
{
    *out = NULL;
    if (len > VN_VOCAB_MAX_BYTES)
        return VN_E_TOO_LARGE;
    Vn__SignedVocabulary *sv = vn__signed_vocabulary__unpack(NULL, len, buf);
    if (!sv)
        return VN_E_MALFORMED;
    int rc = 0;
    size_t dl = strlen(VN_VOCAB_DOMAIN);
    uint8_t *msg = malloc(dl + sv->vocabulary.len + 1);
    if (!msg) {
        rc = -ENOMEM;
    } else if (sv->signature.len != crypto_sign_BYTES) {
        rc = VN_E_MALFORMED;
    } else {
        memcpy(msg, VN_VOCAB_DOMAIN, dl);
        memcpy(msg + dl, sv->vocabulary.data, sv->vocabulary.len);
        if (crypto_sign_verify_detached(sv->signature.data, msg, dl + sv->vocabulary.len,
                                        broker_sign_pk) != 0)
            rc = VN_E_BAD_SIGNATURE;
    }
    free(msg);
    if (rc == 0) {
        Vn__Vocabulary *p = vn__vocabulary__unpack(NULL, sv->vocabulary.len, sv->vocabulary.data);
        char err[200];
        if (!p)
            rc = VN_E_MALFORMED;
        else if (p->version != 1)
            rc = VN_E_VERSION;
        else if (!(*out = vn_vocab_from_proto(p, err, sizeof err)))
            rc = VN_E_MALFORMED;
        if (p)
            vn__vocabulary__free_unpacked(p, NULL);
    }
    vn__signed_vocabulary__free_unpacked(sv, NULL);
    return rc;
}

void vn_vocab_print(const vn_vocab_t *v, void *file)
{
    FILE *out = file;
    fprintf(out, "vocabulary %s revision %llu, %zu terms\n", v->name,
            (unsigned long long)v->revision, v->n);
    for (size_t i = 0; i < v->n; i++)
        fprintf(out, "\n%s %s\n  en: %s\n  %s\n", v->terms[i].kind, v->terms[i].term,
                v->terms[i].gloss_en, v->terms[i].definition);
}

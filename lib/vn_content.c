/* vn_content.c -- EnvelopeContent: the subject's identity and the body, checked both ways. */
#include "vn_content.h"
#include "vn_error.h"
#include "vn_subject.h"
#include "vn_util.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int vn_birth_date_valid(const char *s)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= days[m - 1] + (m == 2 && leap);
}

/* A media type: 1..128 printable characters without spaces around it. */
static int s_media_valid(const char *s)
{
    return vn_field_valid(s, VN_CONTENT_MEDIA_MAX) && s[0] != ' ';
}

/* The subject's checks, shared by sender and recipient. */
static int s_subject_check(const char *bsn, const char *name, const char *birth_date)
{
    int has_name = name && name[0], has_date = birth_date && birth_date[0];
    if (!bsn || !bsn[0])
        return has_name || has_date ? VN_E_INVALID : 0;
    int rc = vn_bsn_validate(bsn);
    if (rc != 0)
        return rc;
    if (has_name && !vn_field_valid(name, VN_CONTENT_NAME_MAX))
        return VN_E_INVALID;
    if (has_date && !vn_birth_date_valid(birth_date))
        return VN_E_INVALID;
    return 0;
}

int vn_content_pack(const vn_content_t *c, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    int rc = s_subject_check(c->bsn, c->name, c->birth_date);
    if (rc != 0)
        return rc;
    if (c->media_type && c->media_type[0] && !s_media_valid(c->media_type))
        return VN_E_INVALID;
    Vn__SubjectIdentity subject = VN__SUBJECT_IDENTITY__INIT;
    Vn__EnvelopeContent ec = VN__ENVELOPE_CONTENT__INIT;
    ec.version = VN_CONTENT_VERSION;
    if (c->bsn && c->bsn[0]) {
        subject.bsn = (char *)c->bsn;
        subject.name = (char *)(c->name ? c->name : "");
        subject.birth_date = (char *)(c->birth_date ? c->birth_date : "");
        ec.subject = &subject;
    }
    ec.body = (ProtobufCBinaryData){c->body_len, (uint8_t *)c->body};
    ec.media_type = (char *)(c->media_type && c->media_type[0] ? c->media_type
                                                                : VN_CONTENT_MEDIA_TEXT);
    size_t len = vn__envelope_content__get_packed_size(&ec);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return -ENOMEM;
    *out_len = vn__envelope_content__pack(&ec, buf);
    *out = buf;
    return 0;
}

int vn_content_unpack(const uint8_t *buf, size_t len, Vn__EnvelopeContent **out)
{
    *out = vn__envelope_content__unpack(NULL, len, buf);
    if (!*out)
        return VN_E_MALFORMED;
    Vn__EnvelopeContent *ec = *out;
    int rc = 0;
    if (ec->version != VN_CONTENT_VERSION)
        rc = ec->version == 0 ? VN_E_MALFORMED : VN_E_VERSION;
    else if (ec->subject && (!ec->subject->bsn[0] ||
                             s_subject_check(ec->subject->bsn, ec->subject->name,
                                             ec->subject->birth_date) != 0))
        rc = VN_E_INVALID;
    else if (!s_media_valid(ec->media_type))
        rc = VN_E_INVALID;
    if (rc != 0) {
        vn__envelope_content__free_unpacked(ec, NULL);
        *out = NULL;
    }
    return rc;
}

int vn_content_check_subject(const Vn__EnvelopeContent *c, const uint8_t *pseudonym,
                             size_t pseudonym_len, const uint8_t key[32])
{
    if (!c->subject)
        return pseudonym_len == 0 ? 0 : VN_E_INVALID;
    uint8_t mine[VN_PSEUDONYM_BYTES];
    if (pseudonym_len != VN_PSEUDONYM_BYTES || vn_pseudonym(mine, c->subject->bsn, key) != 0)
        return VN_E_INVALID;
    int same = sodium_memcmp(mine, pseudonym, VN_PSEUDONYM_BYTES) == 0;
    sodium_memzero(mine, sizeof mine);
    return same ? 0 : VN_E_INVALID;
}

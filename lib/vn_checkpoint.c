/* vn_checkpoint.c -- checkpoints as C2SP signed notes, signed and opened with the broker's key. */
#include "vn_checkpoint.h"
#include "vn_error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vn_checkpoint_origin(const char *broker_id, char out[VN_NOTE_NAME_MAX + 1])
{
    int n = snprintf(out, VN_NOTE_NAME_MAX + 1, VN_LOG_ORIGIN_PREFIX "%s", broker_id);
    return n > 0 && n <= VN_NOTE_NAME_MAX && vn_note_name_valid(out) ? 0 : VN_E_INVALID;
}

int vn_checkpoint_vkey(const char *broker_id, const uint8_t sign_pk[32], char *out)
{
    char origin[VN_NOTE_NAME_MAX + 1];
    int rc = vn_checkpoint_origin(broker_id, origin);
    return rc ? rc : vn_note_vkey(origin, VN_NOTE_ED25519, sign_pk, out);
}

int vn_checkpoint_sign(const char *broker_id, uint64_t size, const uint8_t root[VN_HASH],
                       const uint8_t sign_sk[64], char out[VN_CHECKPOINT_MAX])
{
    char origin[VN_NOTE_NAME_MAX + 1], line[VN_NOTE_LINE_MAX];
    int rc = vn_checkpoint_origin(broker_id, origin);
    if (rc != 0)
        return rc;
    int len = vn_checkpoint_text(origin, size, root, out);
    if (len < 0)
        return len;
    int sl = vn_note_sign(out, (size_t)len, origin, sign_sk, line);
    if (sl < 0 || (size_t)len + 1 + (size_t)sl >= VN_CHECKPOINT_MAX)
        return sl < 0 ? sl : VN_E_TOO_LARGE;
    out[len] = '\n'; /* the blank line between text and signatures */
    memcpy(out + len + 1, line, (size_t)sl + 1);
    return len + 1 + sl;
}

int vn_checkpoint_open(const uint8_t *buf, size_t len, const char *broker_id,
                       const uint8_t *sign_pk, vn_checkpoint_t *out)
{
    char origin[VN_NOTE_NAME_MAX + 1] = "";
    memset(out, 0, sizeof *out);
    if (broker_id && vn_checkpoint_origin(broker_id, origin) != 0)
        return VN_E_INVALID;
    vn_note_t *note = malloc(sizeof *note);
    if (!note)
        return -ENOMEM;
    int rc = vn_note_parse((const char *)buf, len, note);
    if (rc == 0)
        rc = vn_checkpoint_text_parse(note->text, note->text_len, out->origin, &out->size,
                                      out->root);
    else
        rc = VN_E_MALFORMED;
    if (rc == 0 && broker_id && strcmp(out->origin, origin) != 0)
        rc = VN_E_INVALID;
    if (rc == 0 && !broker_id) { /* the note's own origin, if it is a vangnet broker's */
        if (strncmp(out->origin, VN_LOG_ORIGIN_PREFIX, strlen(VN_LOG_ORIGIN_PREFIX)) != 0)
            rc = VN_E_INVALID;
        memcpy(origin, out->origin, sizeof origin);
    }
    if (rc == 0 && sign_pk && vn_note_verify(note, origin, sign_pk) != 0)
        rc = VN_E_BAD_SIGNATURE;
    free(note);
    return rc;
}

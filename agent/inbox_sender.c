/* inbox_sender.c -- the inbox by sender (INBOX_SENDER: sender NUL iseq(be64) -> ""), so the IT
 * system can fetch one organisation's notifications (`vangnet inbox --from ORG`, HTTP ?from=)
 * under a flood from another without reading the flood; kept when an entry is stored and acked,
 * built once at open for an inbox from before it. Only the sender's organisation id is in it
 * (no content: the entries themselves stay sealed). */
#include "agent.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_util.h"

#include <string.h>

#define BUILT_KEY "inbox_sender_idx"

static size_t s_key(const char *sender, const uint8_t iseq8[8], uint8_t out[VN_ORG_MAX + 9])
{
    size_t len = sender ? strlen(sender) : 0;
    if (!len || len > VN_ORG_MAX)
        return 0;
    memcpy(out, sender, len + 1);
    memcpy(out + len + 1, iseq8, 8);
    return len + 9;
}

int agent__inbox_sender_put(agent_t *a, MDB_txn *txn, const char *sender, const uint8_t iseq8[8])
{
    uint8_t key[VN_ORG_MAX + 9];
    size_t len = s_key(sender, iseq8, key);
    MDB_val k = {len, key}, v = {0, ""};
    return len ? agent__put(a, txn, ADB_INBOX_SENDER, &k, &v) : 0;
}

int agent__inbox_sender_del(agent_t *a, MDB_txn *txn, const uint8_t iseq8[8])
{
    /* The sender is inside the sealed entry: opened once more, as the ack removes it. */
    MDB_val k = {8, (void *)iseq8}, v;
    if (mdb_get(txn, vn_store_dbi(a->db, ADB_INBOX), &k, &v) != 0)
        return 0;
    Vn__ApiNotification *n = agent__inbox_open(a, iseq8, v.mv_data, v.mv_size);
    if (!n)
        return 0;
    uint8_t key[VN_ORG_MAX + 9];
    size_t len = s_key(n->sender, iseq8, key);
    vn__api_notification__free_unpacked(n, NULL);
    MDB_val ik = {len, key};
    return len ? agent__del(a, txn, ADB_INBOX_SENDER, &ik) : 0;
}

int agent__inbox_sender_next(agent_t *a, MDB_txn *txn, const char *sender, uint64_t after,
                             uint64_t *iseq)
{
    uint8_t start[VN_ORG_MAX + 9], be[8];
    vn_put_be64(be, after == UINT64_MAX ? after : after + 1);
    size_t len = s_key(sender, be, start);
    if (!len || after == UINT64_MAX)
        return 0;
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, vn_store_dbi(a->db, ADB_INBOX_SENDER), &cur) != 0)
        return 0;
    MDB_val k = {len, start}, v;
    int found = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) == 0 && k.mv_size == len &&
                memcmp(k.mv_data, start, len - 8) == 0;
    if (found)
        *iseq = vn_get_be64((uint8_t *)k.mv_data + len - 8);
    mdb_cursor_close(cur);
    return found;
}

/* One inbox entry into the sender index (a store from before the index). */
static int s_index_one(MDB_txn *txn, const MDB_val *k, const MDB_val *v, void *ctx)
{
    agent_t *a = ctx;
    Vn__ApiNotification *item =
        k->mv_size == 8 ? agent__inbox_open(a, k->mv_data, v->mv_data, v->mv_size) : NULL;
    if (!item)
        return 0;
    uint8_t key[VN_ORG_MAX + 9];
    size_t len = s_key(item->sender, k->mv_data, key);
    MDB_val ik = {len, key}, iv = {0, ""};
    int rc = len ? vn_store_error(mdb_put(txn, vn_store_dbi(a->db, ADB_INBOX_SENDER), &ik, &iv, 0))
                 : 0;
    vn__api_notification__free_unpacked(item, NULL);
    return rc == 0 ? 1 : rc;
}

int agent__inbox_sender_build(agent_t *a)
{
    size_t n;
    int rc = vn_store_build_once(a->db, vn_store_dbi(a->db, ADB_META), BUILT_KEY,
                                 vn_store_dbi(a->db, ADB_INBOX), s_index_one, a, &n);
    if (rc == 0 && n)
        vn_info("event=inbox-sender-index-built entries=%zu", n);
    return rc;
}

/* tiles.c -- the audit log's tree for anyone, read-only, as C2SP tlog-tiles on the broker's HTTP
 * endpoint: <prefix>/checkpoint (the newest signed checkpoint note with the witnesses'
 * cosignatures) and <prefix>/tile/L/N[.p/W] (hash tiles). Entry bundles are refused: records hold
 * pseudonyms, so they are read only through the audited `vangnet audit` path. Runs on
 * libmicrohttpd's thread in its own read transaction. */
#include "broker.h"
#include "vn_audit.h"
#include "vn_error.h"
#include "vn_http.h"
#include "vn_tiles.h"

#include <stdlib.h>
#include <string.h>

#define PREFIX "/log/"

static void s_text(vn_http_reply_t *reply, int status, const char *text)
{
    reply->status = status;
    reply->body = strdup(text);
}

int broker__tiles_answer(broker_t *b, const char *path, vn_http_reply_t *reply)
{
    if (strncmp(path, PREFIX, strlen(PREFIX)) != 0)
        return 0;
    const char *rest = path + strlen(PREFIX);
    vn_tile_t tile;
    int is_checkpoint = strcmp(rest, "checkpoint") == 0;
    if (!is_checkpoint && vn_tile_parse(rest, &tile) != 0) {
        s_text(reply, 404, "not found: the log serves checkpoint and tile/L/N[.p/W] (c2sp.org/tlog-tiles)\n");
        return 1;
    }
    if (!is_checkpoint && tile.entries) {
        s_text(reply, 403, "entry bundles are not served: the records hold pseudonyms; read them "
                           "with `vangnet audit` on the broker's store, where every read is "
                           "audited\n");
        return 1;
    }
    MDB_txn *txn;
    if (vn_store_begin(b->db, 1, &txn) != 0) {
        s_text(reply, 503, "store unreadable\n");
        return 1;
    }
    char *note = NULL;
    size_t note_len = 0;
    uint64_t size = 0;
    int rc = broker__published_checkpoint(txn, b, &note, &note_len, &size);
    if (rc != 0) {
        s_text(reply, rc == VN_E_NOT_FOUND ? 404 : 503,
               rc == VN_E_NOT_FOUND ? "no checkpoint signed yet\n" : "store unreadable\n");
    } else if (is_checkpoint) {
        reply->status = 200;
        reply->body = note;
        reply->len = note_len;
        note = NULL;
        reply->cache_control = "max-age=1";
    } else if (!vn_tile_exists(&tile, size)) {
        s_text(reply, 404, "no such tile in the tree of the newest checkpoint\n");
    } else {
        reply->body = malloc(VN_TILE_WIDTH * VN_HASH);
        vn_audit_tree_t tree = {txn, b->db};
        if (reply->body && vn_tile_read(vn_audit_node, &tree, size, &tile,
                                        (uint8_t *)reply->body) == 0) {
            reply->status = 200;
            reply->len = (size_t)tile.width * VN_HASH;
            reply->content_type = "application/octet-stream";
            reply->cache_control = "public, max-age=31536000, immutable";
        } else {
            free(reply->body);
            reply->body = NULL;
            s_text(reply, 503, "tile unreadable\n");
        }
    }
    free(note);
    mdb_txn_abort(txn);
    return 1;
}

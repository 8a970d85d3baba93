/* cli_witness.c -- `vangnet witness`: an outside supervisor (an inspectorate) watching the broker's
 * log with nothing but its public checkpoints and tiles (c2sp.org/tlog-tiles), never a record.
 * Each check fetches the published checkpoint, verifies the broker's note signature with its
 * vkey, and proves from the downloaded tiles that the tree extends the checkpoint this witness kept
 * (and any other checkpoint notes given, such as ones an agent holds); then it keeps the newer one.
 * With --key it also prints its own cosignature/v1 line for the checkpoint it accepted. */
#include "cli.h"

#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vn_checkpoint.h"
#include "vn_error.h"
#include "vn_keys.h"
#include "vn_merkle.h"
#include "vn_note.h"
#include "vn_tiles.h"
#include "vn_util.h"

#define FETCH_MAX (64 << 10)
#define TILE_CACHE 64

typedef struct {
    char *buf;
    size_t len;
} s_body_t;

/* GET url: 0 with the body (caller frees), or -1 having said why. */
static int s_get(CURL *curl, const char *url, s_body_t *out)
{
    const char *why = cli_http_get(curl, url, "http,https", 10, FETCH_MAX, &out->buf, &out->len);
    if (why)
        fprintf(stderr, "vangnet: witness: GET %s: %s\n", url, why);
    return why ? -1 : 0;
}

/* Perfect-subtree hashes from tiles: node (level, index) lies in the tile of level level / 8;
 * below a tile's level the subtree is hashed up from that tile's hashes. Tiles are cached. */
typedef struct {
    CURL *curl;
    const char *prefix;
    uint64_t size;
    struct {
        vn_tile_t t;
        uint8_t data[VN_TILE_WIDTH * VN_HASH];
    } cache[TILE_CACHE];
    size_t n_cache, next;
    uint64_t fetched;
} s_tiles_t;

static const uint8_t *s_tile(s_tiles_t *t, unsigned level, uint64_t index, unsigned width)
{
    for (size_t i = 0; i < t->n_cache; i++)
        if (t->cache[i].t.level == level && t->cache[i].t.index == index &&
            t->cache[i].t.width >= width)
            return t->cache[i].data;
    /* The widest tile this tree holds: full, or the partial one of its size. */
    vn_tile_t tile = {level, index, VN_TILE_WIDTH, 0};
    if (!vn_tile_exists(&tile, t->size))
        tile.width = (unsigned)((t->size >> (8 * level)) % VN_TILE_WIDTH);
    if (tile.width < width || !vn_tile_exists(&tile, t->size))
        return NULL;
    char path[128], url[1400];
    vn_tile_path(&tile, path, sizeof path);
    snprintf(url, sizeof url, "%s/%s", t->prefix, path);
    s_body_t body;
    if (s_get(t->curl, url, &body) != 0)
        return NULL;
    size_t slot = t->n_cache < TILE_CACHE ? t->n_cache++ : t->next++ % TILE_CACHE;
    int ok = body.len == (size_t)tile.width * VN_HASH;
    if (ok) {
        t->cache[slot].t = tile;
        memcpy(t->cache[slot].data, body.buf, body.len);
        t->fetched++;
    }
    free(body.buf);
    return ok ? t->cache[slot].data : NULL;
}

static int s_node(void *ctx, unsigned level, uint64_t index, uint8_t out[VN_HASH])
{
    s_tiles_t *t = ctx;
    unsigned tl = level / 8, below = level % 8;
    uint64_t first = index << below, n = (uint64_t)1 << below; /* hashes of tile level tl */
    uint64_t tile_index = first / VN_TILE_WIDTH;
    unsigned offset = (unsigned)(first % VN_TILE_WIDTH);
    const uint8_t *data = s_tile(t, tl, tile_index, offset + (unsigned)n);
    if (!data)
        return VN_E_NOT_FOUND;
    uint8_t stack[VN_TILE_WIDTH][VN_HASH];
    memcpy(stack, data + (size_t)offset * VN_HASH, n * VN_HASH);
    for (; n > 1; n /= 2)
        for (uint64_t i = 0; i < n / 2; i++)
            vn_merkle_node_hash(stack[2 * i], stack[2 * i + 1], stack[i]);
    memcpy(out, stack[0], VN_HASH);
    return 0;
}

/* A note verified with the broker's vkey: its size and root. */
static int s_open(const char *buf, size_t len, const char *origin, const uint8_t pk[32],
                  vn_checkpoint_t *cp)
{
    const char *id = origin + strlen(VN_LOG_ORIGIN_PREFIX);
    return vn_checkpoint_open((const uint8_t *)buf, len, id, pk, cp);
}

/* 1 if the tree (size, root) extends old (or old extends it), proven from the tiles. */
static int s_consistent(s_tiles_t *tiles, const vn_checkpoint_t *a, const vn_checkpoint_t *b)
{
    const vn_checkpoint_t *small = a->size <= b->size ? a : b, *big = a->size <= b->size ? b : a;
    if (small->size == 0)
        return 1;
    uint8_t proof[VN_MERKLE_MAX_PROOF][VN_HASH];
    size_t n = 0;
    /* The tiles are those of the newest tree; the proof only verifies if they are true. */
    return vn_merkle_consistency(s_node, tiles, small->size, big->size, proof, &n) == 0 &&
           vn_merkle_verify_consistency(small->size, big->size, small->root, big->root, proof, n);
}

static char *s_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(FETCH_MAX + 1);
    *len = buf ? fread(buf, 1, FETCH_MAX, f) : 0;
    fclose(f);
    if (buf)
        buf[*len] = 0;
    return buf;
}

static int s_write_file(const char *path, const char *buf, size_t len)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return -1;
    int ok = fwrite(buf, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    return ok && rename(tmp, path) == 0 ? 0 : -1;
}

/* One check; CLI_OK, CLI_FAIL (could not check) or CLI_REFUSED (the log is inconsistent). */
static int s_check(CURL *curl, const char *prefix, const char *origin, const uint8_t pk[32],
                   const char *state, char **also, int n_also, const vn_keyset_t *key,
                   const char *name)
{
    char url[1200];
    s_body_t body;
    snprintf(url, sizeof url, "%s/checkpoint", prefix);
    if (s_get(curl, url, &body) != 0)
        return CLI_FAIL;
    vn_checkpoint_t now, kept;
    if (s_open(body.buf, body.len, origin, pk, &now) != 0) {
        free(body.buf);
        printf("ALARM: the published checkpoint does not carry a valid signature of %s\n", origin);
        return CLI_REFUSED;
    }
    s_tiles_t *tiles = calloc(1, sizeof *tiles);
    if (!tiles) {
        free(body.buf);
        return CLI_FAIL;
    }
    *tiles = (s_tiles_t){.curl = curl, .prefix = prefix, .size = now.size};
    int result = CLI_OK;
    size_t klen;
    char *old = s_read_file(state, &klen);
    if (old && s_open(old, klen, origin, pk, &kept) != 0) {
        fprintf(stderr, "vangnet: witness: %s holds no checkpoint of %s; refusing to replace it\n",
                state, origin);
        free(old);
        free(tiles);
        free(body.buf);
        return CLI_FAIL;
    }
    if (old) {
        if (!s_consistent(tiles, &kept, &now) || kept.size > now.size) {
            printf("ALARM: the log of size %llu does not extend the checkpoint of size %llu kept "
                   "in %s: history was rewritten or a checkpoint was withdrawn\n",
                   (unsigned long long)now.size, (unsigned long long)kept.size, state);
            result = CLI_REFUSED;
        } else {
            printf("consistent: size %llu extends the kept size %llu\n",
                   (unsigned long long)now.size, (unsigned long long)kept.size);
        }
    } else {
        printf("first checkpoint: size %llu (nothing kept yet in %s)\n",
               (unsigned long long)now.size, state);
    }
    for (int i = 0; result == CLI_OK && i < n_also; i++) {
        size_t alen;
        char *a = s_read_file(also[i], &alen);
        vn_checkpoint_t other;
        if (!a || s_open(a, alen, origin, pk, &other) != 0) {
            printf("ALARM: %s is not a checkpoint signed by %s\n", also[i], origin);
            result = CLI_REFUSED;
        } else if (other.size > now.size || !s_consistent(tiles, &other, &now)) {
            printf("ALARM: the checkpoint in %s (size %llu) and the published one (size %llu) "
                   "are two different logs: a split view\n", also[i],
                   (unsigned long long)other.size, (unsigned long long)now.size);
            result = CLI_REFUSED;
        } else {
            printf("consistent: %s (size %llu) is a prefix of the published log\n", also[i],
                   (unsigned long long)other.size);
        }
        free(a);
    }
    if (result == CLI_OK && (!old || now.size >= kept.size) &&
        s_write_file(state, body.buf, body.len) != 0) {
        fprintf(stderr, "vangnet: witness: cannot write %s\n", state);
        result = CLI_FAIL;
    }
    if (result == CLI_OK && key) {
        vn_note_t *note = malloc(sizeof *note);
        char line[VN_NOTE_LINE_MAX];
        if (note && vn_note_parse(body.buf, body.len, note) == 0 &&
            vn_note_cosign(note->text, note->text_len, name, key->sign_sk, vn_now(), line) > 0)
            fputs(line, stdout);
        free(note);
    }
    printf("tiles fetched: %llu\n", (unsigned long long)tiles->fetched);
    free(old);
    free(tiles);
    free(body.buf);
    return result;
}

int cli_witness(int argc, char **argv)
{
    static const struct option opts[] = {{"url", required_argument, NULL, 'u'},
                                         {"vkey", required_argument, NULL, 'v'},
                                         {"state", required_argument, NULL, 's'},
                                         {"also", required_argument, NULL, 'a'},
                                         {"key", required_argument, NULL, 'k'},
                                         {"interval", required_argument, NULL, 'i'},
                                         {NULL, 0, NULL, 0}};
    const char *url = NULL, *vkey = NULL, *state = NULL, *keyfile = NULL;
    char *also[16];
    int n_also = 0, c;
    long interval = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'u': url = optarg; break;
        case 'v': vkey = optarg; break;
        case 's': state = optarg; break;
        case 'k': keyfile = optarg; break;
        case 'a':
            if (n_also == 16)
                return cli_fail(CLI_USAGE, "witness: at most 16 --also");
            also[n_also++] = optarg;
            break;
        case 'i': {
            char *end;
            interval = strtol(optarg, &end, 10);
            if (*end || interval < 1 || interval > 86400)
                return cli_fail(CLI_USAGE, "witness: --interval takes 1..86400 seconds");
            break;
        }
        default: return CLI_USAGE;
        }
    }
    if (!url || !vkey || !state || optind != argc)
        return cli_fail(CLI_USAGE, "witness --url http://HOST:PORT/log --vkey BROKER-VKEY "
                                   "--state FILE [--also NOTE]... [--key FILE.secret] "
                                   "[--interval SECONDS]");
    char origin[VN_NOTE_NAME_MAX + 1], name[VN_NOTE_NAME_MAX + 1] = "";
    uint8_t type, pk[32];
    if (vn_note_vkey_parse(vkey, origin, &type, pk) != 0 || type != VN_NOTE_ED25519 ||
        strncmp(origin, VN_LOG_ORIGIN_PREFIX, strlen(VN_LOG_ORIGIN_PREFIX)) != 0)
        return cli_fail(CLI_USAGE, "witness: --vkey is not a vangnet broker's log vkey "
                                   "(vangnet keygen --vkey broker.public)");
    vn_keyset_t *key = NULL;
    char err[1200];
    if (keyfile) {
        if (vn_keyset_load(keyfile, &key, err, sizeof err) != 0)
            return cli_fail(CLI_USAGE, "witness: %s", err);
        snprintf(name, sizeof name, VN_WITNESS_NAME_PREFIX "%s", key->pub.org);
    }
    char prefix[1024];
    snprintf(prefix, sizeof prefix, "%s", url);
    size_t pl = strlen(prefix);
    while (pl && prefix[pl - 1] == '/')
        prefix[--pl] = 0;
    CURL *curl = curl_easy_init();
    if (!curl) {
        vn_keyset_destroy(&key);
        return cli_fail(CLI_FAIL, "witness: cannot initialise libcurl");
    }
    int result;
    for (;;) {
        result = s_check(curl, prefix, origin, pk, state, also, n_also, key, name);
        fflush(stdout);
        if (!interval || result == CLI_REFUSED)
            break;
        sleep((unsigned)interval);
    }
    curl_easy_cleanup(curl);
    vn_keyset_destroy(&key);
    return result;
}

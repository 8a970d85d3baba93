// vnverify.go -- checks a vangnet broker's audit log with code nobody at vangnet wrote: Go's
// golang.org/x/mod/sumdb/note verifies the checkpoint (a C2SP signed note) with the broker's vkey,
// and golang.org/x/mod/sumdb/tlog checks an inclusion proof, a consistency proof, and recomputes
// every hash from tiles downloaded over HTTP (C2SP tlog-tiles; the only adapter: Go's tile paths
// carry the tile height, "tile/8/L/N", where C2SP writes "tile/L/N" with the height fixed at 8).
//
// Usage: vnverify -url PREFIX -vkey VKEY [-prove FILE] [-consistency FILE] [-records FILE]
// PREFIX is the log's tiles prefix (http://127.0.0.1:PORT/log); FILE are the outputs of
// `vangnet audit prove`, `vangnet audit consistency` and `vangnet audit show --json`.
package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var client = &http.Client{Timeout: 10 * time.Second}

func get(url string) ([]byte, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return body, nil
}

// A checkpoint note opened with the log's key: origin, size and root.
func openCheckpoint(msg []byte, verifiers note.Verifiers, origin string) (tlog.Tree, error) {
	n, err := note.Open(msg, verifiers)
	if err != nil {
		return tlog.Tree{}, fmt.Errorf("checkpoint note: %w", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 || lines[0] != origin {
		return tlog.Tree{}, fmt.Errorf("checkpoint origin %q, want %q", lines[0], origin)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || (lines[1] != "0" && lines[1][0] == '0') {
		return tlog.Tree{}, fmt.Errorf("checkpoint size %q", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		return tlog.Tree{}, fmt.Errorf("checkpoint root %q: %w", lines[2], err)
	}
	return tlog.Tree{N: size, Hash: root}, nil
}

// tiles fetches C2SP tiles for tlog.TileHashReader, which checks each against the tree.
type tiles struct {
	prefix  string
	fetched int
	cache   map[string][]byte
}

func (t *tiles) Height() int { return 8 }

func (t *tiles) ReadTiles(list []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(list))
	for i, tile := range list {
		path := strings.Replace(tile.Path(), "tile/8/", "tile/", 1)
		if data, ok := t.cache[path]; ok {
			out[i] = data
			continue
		}
		data, err := get(t.prefix + "/" + path)
		if err != nil {
			return nil, err
		}
		out[i] = data
		t.fetched++
		t.cache[path] = data
	}
	return out, nil
}

func (t *tiles) SaveTiles(list []tlog.Tile, data [][]byte) {}

// "key: value" lines of the CLI's proof output.
func readFields(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fields := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok {
			fields[k] = strings.TrimSpace(v)
		}
	}
	return fields, sc.Err()
}

func hashes(list string) ([]tlog.Hash, error) {
	var out []tlog.Hash
	for _, h := range strings.Fields(list) {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != tlog.HashSize {
			return nil, fmt.Errorf("bad proof hash %q", h)
		}
		var x tlog.Hash
		copy(x[:], b)
		out = append(out, x)
	}
	return out, nil
}

func number(fields map[string]string, key string) (int64, error) {
	v, err := strconv.ParseInt(fields[key], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %q", key, fields[key])
	}
	return v, nil
}

// The signed checkpoint printed (hex) with a proof, opened with the log's key.
func proofCheckpoint(fields map[string]string, verifiers note.Verifiers, origin string) (tlog.Tree, error) {
	msg, err := hex.DecodeString(fields["checkpoint"])
	if err != nil {
		return tlog.Tree{}, errors.New("checkpoint: not hex")
	}
	return openCheckpoint(msg, verifiers, origin)
}

func checkInclusion(path string, verifiers note.Verifiers, origin string, hr tlog.HashReader) error {
	f, err := readFields(path)
	if err != nil {
		return err
	}
	tree, err := proofCheckpoint(f, verifiers, origin)
	if err != nil {
		return err
	}
	index, err := number(f, "leaf_index")
	if err != nil {
		return err
	}
	record, err := hex.DecodeString(f["record"])
	if err != nil {
		return errors.New("record: not hex")
	}
	proof, err := hashes(f["proof"])
	if err != nil {
		return err
	}
	leaf := tlog.RecordHash(record)
	if err := tlog.CheckRecord(proof, tree.N, tree.Hash, index, leaf); err != nil {
		return fmt.Errorf("inclusion proof of record %d in size %d: %w", index+1, tree.N, err)
	}
	// The same leaf, read from the tiles, and the same proof, computed from them.
	got, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, index)})
	if err != nil || got[0] != leaf {
		return fmt.Errorf("record %d: tile leaf differs (%v)", index+1, err)
	}
	fmt.Printf("inclusion: record %d (%d bytes) is in the signed tree of size %d\n", index+1, len(record), tree.N)
	return nil
}

func checkConsistency(path string, verifiers note.Verifiers, origin string, hr tlog.HashReader, latest tlog.Tree) error {
	f, err := readFields(path)
	if err != nil {
		return err
	}
	tree, err := proofCheckpoint(f, verifiers, origin)
	if err != nil {
		return err
	}
	from, err := number(f, "from_size")
	if err != nil {
		return err
	}
	oldRoot, err := hashes(f["from_root"])
	if err != nil || len(oldRoot) != 1 {
		return errors.New("from_root")
	}
	proof, err := hashes(f["proof"])
	if err != nil {
		return err
	}
	if err := tlog.CheckTree(proof, tree.N, tree.Hash, from, oldRoot[0]); err != nil {
		return fmt.Errorf("consistency %d -> %d: %w", from, tree.N, err)
	}
	// Both roots again from the tiles of the newest tree, and the newest extends this one.
	for _, t := range []tlog.Tree{{N: from, Hash: oldRoot[0]}, tree} {
		h, err := tlog.TreeHash(t.N, hr)
		if err != nil || h != t.Hash {
			return fmt.Errorf("root of size %d from tiles differs (%v)", t.N, err)
		}
	}
	if tree.N <= latest.N {
		p, err := tlog.ProveTree(latest.N, tree.N, hr)
		if err == nil {
			err = tlog.CheckTree(p, latest.N, latest.Hash, tree.N, tree.Hash)
		}
		if err != nil {
			return fmt.Errorf("checkpoint %d is not a prefix of the served %d: %w", tree.N, latest.N, err)
		}
	}
	fmt.Printf("consistency: the tree of size %d extends the one of size %d\n", tree.N, from)
	return nil
}

// Every record given (from `audit show --json`, taken at or before the tree's size) hashes to its
// leaf in the tiles.
func checkRecords(path string, hr tlog.HashReader, tree tlog.Tree) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var n int64
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(line) == 0 || n >= tree.N {
			continue
		}
		var r struct {
			Seq    int64  `json:"seq"`
			Record string `json:"record"`
		}
		if err := json.Unmarshal(line, &r); err != nil {
			return err
		}
		b, err := hex.DecodeString(r.Record)
		if err != nil || r.Seq != n+1 {
			return fmt.Errorf("record %d: bad line", n+1)
		}
		got, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, n)})
		if err != nil || got[0] != tlog.RecordHash(b) {
			return fmt.Errorf("record %d does not hash to its leaf in the tiles (%v)", n+1, err)
		}
		n++
	}
	if n == 0 {
		return errors.New("no records given")
	}
	fmt.Printf("records: %d of %d hash to their leaves in the tiles\n", n, tree.N)
	return nil
}

func run() error {
	prefix := flag.String("url", "", "the log's tiles prefix, http://HOST:PORT/log")
	vkey := flag.String("vkey", "", "the broker's verifier key (vangnet keygen / org list)")
	prove := flag.String("prove", "", "output of vangnet audit prove")
	consistency := flag.String("consistency", "", "output of vangnet audit consistency")
	records := flag.String("records", "", "output of vangnet audit show --json")
	flag.Parse()
	if *prefix == "" || *vkey == "" {
		return errors.New("usage: vnverify -url PREFIX -vkey VKEY [-prove F] [-consistency F] [-records F]")
	}
	verifier, err := note.NewVerifier(*vkey)
	if err != nil {
		return fmt.Errorf("vkey: %w", err)
	}
	verifiers := note.VerifierList(verifier)
	origin := verifier.Name()
	msg, err := get(*prefix + "/checkpoint")
	if err != nil {
		return err
	}
	tree, err := openCheckpoint(msg, verifiers, origin)
	if err != nil {
		return err
	}
	fmt.Printf("checkpoint: %s size %d root %s, signed by %s\n", origin, tree.N, tree.Hash, origin)
	tr := &tiles{prefix: *prefix, cache: map[string][]byte{}}
	hr := tlog.TileHashReader(tree, tr)
	root, err := tlog.TreeHash(tree.N, hr)
	if err != nil || root != tree.Hash {
		return fmt.Errorf("root recomputed from tiles differs (%v)", err)
	}
	if *prove != "" {
		if err := checkInclusion(*prove, verifiers, origin, hr); err != nil {
			return err
		}
	}
	if *consistency != "" {
		if err := checkConsistency(*consistency, verifiers, origin, hr, tree); err != nil {
			return err
		}
	}
	if *records != "" {
		if err := checkRecords(*records, hr, tree); err != nil {
			return err
		}
	}
	fmt.Printf("tiles: root of size %d recomputed from %d tiles\n", tree.N, tr.fetched)
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "vnverify:", err)
		os.Exit(1)
	}
	fmt.Println("vnverify: ok")
}

// Package feeds keeps the reference data a user imports — today MITRE
// ATT&CK bundles and the D3FEND ontology — in a folder of Vigil's, each
// file checked by its loader before it is kept, and loads them back at run
// time merged over the small built-in table.
//
// It never fetches anything from the network and bakes no third-party file
// into the binary: what it loads is what the user imported.
package feeds

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/vigil-iomt/vigil/internal/attack"
	"github.com/vigil-iomt/vigil/internal/ingest/source"
)

// Kinds of feed this package knows, each with its loader.
const (
	ATTACK = "attack"
	D3FEND = "d3fend"
)

var loaders = map[string]func(io.Reader) (*attack.Catalog, error){
	ATTACK: attack.LoadATTACK,
	D3FEND: attack.LoadD3FEND,
}

// ErrUnknownKind is returned for a feed kind this package does not know.
var ErrUnknownKind = errors.New("unknown feed kind (want attack or d3fend)")

// Imported describes one imported file.
type Imported struct {
	Kind   string
	Path   string // where it is kept
	SHA256 string
	Size   int64
	// Catalog is what the file holds.
	Catalog *attack.Catalog
	// Missing lists the built-in IDs this file should cover but does not:
	// for an ATT&CK bundle, built-in techniques of the matrices it holds;
	// for D3FEND, built-in countermeasures. Alerts citing them keep the
	// built-in names.
	Missing []string
}

// Import checks the file at src with the kind's loader and, when it loads,
// keeps a copy under dir/kind/ (replacing an earlier import of the same
// base name).
func Import(dir, kind, src string) (Imported, error) {
	load, ok := loaders[kind]
	if !ok {
		return Imported{}, fmt.Errorf("%q: %w", kind, ErrUnknownKind)
	}
	cat, err := loadFile(load, src)
	if err != nil {
		return Imported{}, err
	}
	dstDir := filepath.Join(dir, kind)
	if err := os.MkdirAll(dstDir, 0o755); err != nil {
		return Imported{}, err
	}
	dst := filepath.Join(dstDir, filepath.Base(src))
	sum, size, err := copyAtomic(src, dst)
	if err != nil {
		return Imported{}, err
	}
	return Imported{Kind: kind, Path: dst, SHA256: sum, Size: size, Catalog: cat, Missing: missing(kind, cat)}, nil
}

// missing returns the built-in IDs a file of the kind should know but
// does not.
func missing(kind string, cat *attack.Catalog) []string {
	builtin := attack.Builtin()
	var want []string
	if kind == D3FEND {
		for _, c := range builtin.Countermeasures() {
			want = append(want, c.ID)
		}
		return cat.Unknown(want)
	}
	matrices := map[string]bool{}
	for _, t := range cat.Techniques() {
		matrices[t.Matrix] = true
	}
	for _, t := range builtin.Techniques() {
		if matrices[t.Matrix] {
			want = append(want, t.ID)
		}
	}
	return cat.Unknown(want)
}

func loadFile(load func(io.Reader) (*attack.Catalog, error), path string) (*attack.Catalog, error) {
	f, err := source.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cat, err := load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cat, nil
}

// copyAtomic copies src to dst through a temporary file and a rename, so a
// crash never leaves half a feed behind.
func copyAtomic(src, dst string) (sum string, size int64, err error) {
	in, err := os.Open(src)
	if err != nil {
		return "", 0, err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".import-*")
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	size, err = io.Copy(io.MultiWriter(tmp, h), in)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		return "", 0, fmt.Errorf("import %s: %w", src, err)
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

// Catalog returns the built-in ATT&CK/D3FEND table merged with every feed
// imported under dir (a missing dir means none), ATT&CK bundles first, in
// name order, so that names, tactics and mitigations come from the user's
// current copy.
func Catalog(dir string) (*attack.Catalog, error) {
	cat := attack.Builtin()
	for _, kind := range []string{ATTACK, D3FEND} {
		files, err := filepath.Glob(filepath.Join(dir, kind, "*"))
		if err != nil {
			return nil, err
		}
		slices.Sort(files)
		for _, f := range files {
			if filepath.Base(f)[0] == '.' {
				continue
			}
			c, err := loadFile(loaders[kind], f)
			if err != nil {
				return nil, fmt.Errorf("feed %w", err)
			}
			cat.Merge(c)
		}
	}
	return cat, nil
}

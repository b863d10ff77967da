package csaf

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Report says what a read did: Read documents were seen (including feed
// entries that could not be followed), Accepted of them were delivered, and
// every other one is in Rejected. Read == Accepted + len(Rejected) unless the
// callback stopped the read.
type Report struct {
	Read, Accepted int
	Rejected       []Rejection
}

// Rejection names a document (or feed entry) that was not delivered and why;
// Pointer is the JSON pointer of the first schema error, when there is one.
// Err, when set, is the error behind Reason (check it with errors.Is against
// ErrSchema, ErrHash, ErrRemote).
type Rejection struct {
	Path, Pointer, Reason string
	Err                   error
}

func (r Rejection) String() string {
	if r.Pointer != "" {
		return r.Path + ": " + r.Pointer + ": " + r.Reason
	}
	return r.Path + ": " + r.Reason
}

// ErrHash is the reason (wrapped) for a document whose .sha512 or .sha256
// sidecar does not match it.
var ErrHash = errors.New("hash mismatch")

// ErrRemote is the reason (wrapped) for a feed entry that is not a local
// file: it is reported, never fetched.
var ErrRemote = errors.New("not a local file (never fetched)")

// maxDocument is the largest document read (CISA's biggest is under 1 MiB).
const maxDocument = 64 << 20

// kind is what a JSON file is, judged from its top-level keys.
type kind int

const (
	kindDocument kind = iota // a CSAF document, or something for the format reader to judge
	kindProvider             // CSAF provider-metadata.json
	kindROLIE                // ROLIE feed
)

type probe struct {
	Feed            json.RawMessage `json:"feed"`
	CanonicalURL    json.RawMessage `json:"canonical_url"`
	Distributions   json.RawMessage `json:"distributions"`
	MetadataVersion json.RawMessage `json:"metadata_version"`
}

func classify(data []byte) kind {
	var p probe
	if json.Unmarshal(data, &p) != nil {
		return kindDocument
	}
	switch {
	case p.Feed != nil:
		return kindROLIE
	case p.CanonicalURL != nil && (p.Distributions != nil || p.MetadataVersion != nil):
		return kindProvider
	}
	return kindDocument
}

// walker finds the documents under a path and hands each checked one to
// handle; handle returns a rejection, or nil once the document is accepted,
// or stops the walk with an error (errStop wraps the callback's error).
type walker struct {
	rep    *Report
	seen   map[string]bool
	handle func(path string, data []byte) (*Rejection, error)
}

func newWalker(handle func(path string, data []byte) (*Rejection, error)) *walker {
	return &walker{rep: &Report{}, seen: map[string]bool{}, handle: handle}
}

func (w *walker) reject(path string, err error) {
	w.rep.Read++
	w.rep.Rejected = append(w.rep.Rejected, Rejection{Path: path, Reason: err.Error(), Err: err})
}

// run reads a file, a folder tree, a provider-metadata.json or a ROLIE feed.
func (w *walker) run(path string) (Report, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return *w.rep, err
	}
	if fi.IsDir() {
		err = w.dir(path)
	} else {
		err = w.file(path, true)
	}
	return *w.rep, err
}

// dir reads every .json file in a folder tree (hidden entries skipped);
// provider metadata and ROLIE feeds found there are not followed, because
// the documents they list are in the tree or remote.
func (w *walker) dir(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			w.reject(p, err)
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if p != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !strings.EqualFold(filepath.Ext(p), ".json") {
			return nil
		}
		return w.file(p, false)
	})
}

// file reads one file; follow says whether a feed or provider metadata is
// followed (an explicit path) or skipped (found in a folder walk).
func (w *walker) file(path string, follow bool) error {
	abs, err := filepath.Abs(path)
	if err == nil {
		if w.seen[abs] {
			return nil
		}
		w.seen[abs] = true
	}
	data, err := readLimited(path)
	if err != nil {
		w.reject(path, err)
		return nil
	}
	switch classify(data) {
	case kindROLIE:
		if follow {
			return w.rolie(path, data)
		}
		return nil
	case kindProvider:
		if follow {
			return w.provider(path, data)
		}
		return nil
	}
	w.rep.Read++
	if err := verifySidecars(path, data); err != nil {
		w.rep.Rejected = append(w.rep.Rejected, Rejection{Path: path, Reason: err.Error(), Err: err})
		return nil
	}
	rej, err := w.handle(path, data)
	if err != nil {
		return err
	}
	if rej != nil {
		w.rep.Rejected = append(w.rep.Rejected, *rej)
		return nil
	}
	w.rep.Accepted++
	return nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxDocument+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxDocument {
		return nil, fmt.Errorf("larger than %d MiB", maxDocument>>20)
	}
	return data, nil
}

// verifySidecars checks the .sha512 and .sha256 files next to a document,
// when there are any ("<hex>  <name>", as sha512sum writes them, or the bare
// hex).
func verifySidecars(path string, data []byte) error {
	for _, c := range []struct {
		ext string
		h   func() hash.Hash
	}{{".sha512", sha512.New}, {".sha256", sha256.New}} {
		side, err := os.ReadFile(path + c.ext)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s sidecar: %w", c.ext, err)
		}
		h := c.h()
		h.Write(data)
		got := hex.EncodeToString(h.Sum(nil))
		fields := strings.Fields(string(side))
		if len(fields) == 0 || len(fields[0]) != len(got) {
			return fmt.Errorf("%w: %s sidecar holds no %s digest", ErrHash, c.ext, strings.TrimPrefix(c.ext, "."))
		}
		if !strings.EqualFold(fields[0], got) {
			return fmt.Errorf("%w: %s sidecar says %s…, document hashes to %s…", ErrHash, c.ext, fields[0][:16], got[:16])
		}
	}
	return nil
}

// local resolves a URL found in a feed against the feed's folder: only
// relative references are followed.
func local(base, ref string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(ref))
	if err != nil {
		return "", fmt.Errorf("bad URL %q: %w", ref, err)
	}
	if u.Scheme != "" || u.Host != "" || strings.HasPrefix(u.Path, "/") || u.Path == "" {
		return "", fmt.Errorf("%s: %w", ref, ErrRemote)
	}
	return filepath.Join(filepath.Dir(base), filepath.FromSlash(u.Path)), nil
}

type rolieFeed struct {
	Feed struct {
		Entry []struct {
			ID   string `json:"id"`
			Link []struct {
				Rel  string `json:"rel"`
				Href string `json:"href"`
			} `json:"link"`
			Content struct {
				Src string `json:"src"`
			} `json:"content"`
		} `json:"entry"`
	} `json:"feed"`
}

// rolie follows a ROLIE feed's entries (their "self" link, else the content
// source) to local files.
func (w *walker) rolie(path string, data []byte) error {
	var f rolieFeed
	if err := json.Unmarshal(data, &f); err != nil {
		w.reject(path, fmt.Errorf("ROLIE feed: %w", err))
		return nil
	}
	for i, e := range f.Feed.Entry {
		ref := e.Content.Src
		for _, l := range e.Link {
			if l.Rel == "self" {
				ref = l.Href
				break
			}
		}
		where := fmt.Sprintf("%s#/feed/entry/%d", path, i)
		if ref == "" {
			w.reject(where, errors.New("entry has no self link or content src"))
			continue
		}
		p, err := local(path, ref)
		if err != nil {
			w.reject(where, err)
			continue
		}
		if _, err := os.Stat(p); err != nil {
			w.reject(where, err)
			continue
		}
		if err := w.file(p, false); err != nil {
			return err
		}
	}
	return nil
}

type providerMetadata struct {
	Distributions []struct {
		DirectoryURL string `json:"directory_url"`
		ROLIE        *struct {
			Feeds []struct {
				URL string `json:"url"`
			} `json:"feeds"`
		} `json:"rolie"`
	} `json:"distributions"`
}

// provider follows a provider-metadata.json: its ROLIE feeds and directory
// distributions that are local.
func (w *walker) provider(path string, data []byte) error {
	var pm providerMetadata
	if err := json.Unmarshal(data, &pm); err != nil {
		w.reject(path, fmt.Errorf("provider metadata: %w", err))
		return nil
	}
	for i, d := range pm.Distributions {
		where := fmt.Sprintf("%s#/distributions/%d", path, i)
		if d.DirectoryURL != "" {
			p, err := local(path, strings.TrimSuffix(d.DirectoryURL, "/")+"/")
			if err == nil {
				_, err = os.Stat(p)
			}
			if err != nil {
				w.reject(where+"/directory_url", err)
			} else if err := w.dir(p); err != nil {
				return err
			}
		}
		if d.ROLIE == nil {
			continue
		}
		for j, f := range d.ROLIE.Feeds {
			fw := fmt.Sprintf("%s/rolie/feeds/%d", where, j)
			p, err := local(path, f.URL)
			if err != nil {
				w.reject(fw, err)
				continue
			}
			feed, err := readLimited(p)
			if err != nil {
				w.reject(fw, err)
				continue
			}
			if err := w.rolie(p, feed); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonError turns a decoding error into "offset N: ..." when it has one.
func jsonError(data []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
		return fmt.Sprintf("invalid JSON at line %d (byte %d): %v", line, se.Offset, err)
	}
	return err.Error()
}

package csaf

import "fmt"

// ReadCSAF reads CSAF 2.0 documents from path — a file, a folder tree, a
// provider-metadata.json or a ROLIE feed (whose entries are followed only when
// they are relative references to local files; any other URL is reported as
// rejected, never fetched) — and calls fn with each accepted advisory.
//
// Each document is checked against its .sha512 and .sha256 sidecar files when
// they exist and against the CSAF 2.0 JSON schema; a document that fails is
// rejected (with the JSON pointer of the first schema error) and the rest
// still reads. An error from fn stops the read and is returned.
func ReadCSAF(path string, fn func(*Advisory) error) (Report, error) {
	w := newWalker(func(p string, data []byte) (*Rejection, error) {
		adv, pointer, err := parseCSAF(data)
		if err != nil {
			return &Rejection{Path: p, Pointer: pointer, Reason: err.Error(), Err: err}, nil
		}
		adv.Path = p
		if err := fn(adv); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		return nil, nil
	})
	return w.run(path)
}

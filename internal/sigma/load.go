package sigma

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// isRuleFile reports whether a file name is a Sigma rule file.
func isRuleFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return (ext == ".yml" || ext == ".yaml") && !strings.HasPrefix(filepath.Base(name), ".")
}

// LoadFS parses every rule file (.yml, .yaml) under root in fsys, in
// lexical order. Every problem is reported, each with its file and line;
// the rules that parsed are returned with them.
func LoadFS(fsys fs.FS, root string) ([]*Rule, error) {
	var rules []*Rule
	var errs []error
	err := fs.WalkDir(fsys, root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !isRuleFile(path) {
			return nil
		}
		data, err := fs.ReadFile(fsys, path)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		rs, err := ParseAll(data, path)
		if err != nil {
			errs = append(errs, err)
		}
		rules = append(rules, rs...)
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	return rules, errors.Join(errs...)
}

// LoadPaths parses the rule files and folders named.
func LoadPaths(paths []string) ([]*Rule, error) {
	var rules []*Rule
	var errs []error
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if st.IsDir() {
			rs, err := LoadFS(os.DirFS(p), ".")
			for _, r := range rs {
				r.File = filepath.Join(p, r.File)
			}
			rules = append(rules, rs...)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", p, err))
			}
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rs, err := ParseAll(data, p)
		if err != nil {
			errs = append(errs, err)
		}
		rules = append(rules, rs...)
	}
	slices.SortStableFunc(rules, func(a, b *Rule) int { return strings.Compare(a.File, b.File) })
	return rules, errors.Join(errs...)
}

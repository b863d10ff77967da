package cloudtrail

import (
	"path/filepath"
	"strings"

	"github.com/vigil-iomt/vigil/internal/ingest/source"
)

// logSuffixes are the file name endings Expand takes from folders.
var logSuffixes = []string{".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz"}

// IsLogName reports whether a file name (base name) looks like a
// CloudTrail log Expand reads from a folder: it ends in .json, .jsonl or
// .ndjson, optionally followed by .gz, and is not a digest file.
func IsLogName(name string) bool {
	if isDigest(name) {
		return false
	}
	for _, s := range logSuffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// isDigest reports whether a base name is a CloudTrail digest file
// (ACCOUNT_CloudTrail-Digest_REGION_..., delivered under CloudTrail-Digest/):
// it holds hashes of the log files, not events.
func isDigest(name string) bool {
	return strings.Contains(name, "CloudTrail-Digest")
}

// Expand turns paths into the sorted list of CloudTrail log files to read:
// a file stands for itself (unless it is a digest file); a folder stands
// for every file under it whose name IsLogName accepts, so that a whole
// bucket copy in the S3 delivery layout
// (AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/*.json.gz) can be given as
// one folder. Folders named CloudTrail-Digest and hidden entries are
// skipped. Paths sort lexically, which in that layout is per account, then
// region, then time.
func Expand(paths []string) ([]string, error) {
	files, err := source.Expand(paths, IsLogName)
	if err != nil {
		return nil, err
	}
	out := files[:0]
	for _, f := range files {
		if isDigest(filepath.Base(f)) || underDigestDir(f) {
			continue
		}
		out = append(out, f)
	}
	return out, nil
}

func underDigestDir(path string) bool {
	for _, part := range strings.Split(filepath.ToSlash(filepath.Dir(path)), "/") {
		if part == "CloudTrail-Digest" {
			return true
		}
	}
	return false
}

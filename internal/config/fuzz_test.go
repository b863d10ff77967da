package config

import "testing"

// FuzzParse feeds arbitrary bytes to the strict YAML loader: it must
// return a configuration or an error, never panic, and whatever it accepts
// must validate or fail validation with an error.
func FuzzParse(f *testing.F) {
	f.Add([]byte("db: sqlite:vigil-data/vigil.db\nlog_level: debug\n"))
	f.Add([]byte("networks:\n  internal: [10.0.0.0/8, fd00::/8]\noui:\n  paths: [/usr/share/ieee-data]\n"))
	f.Add([]byte("ingest:\n  batch_size: -1\nserve:\n  listen: ':x'\n"))
	f.Add([]byte("dbx: 1\n"))
	f.Add([]byte("db: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := Default()
		if err := parse(data, &c); err != nil {
			return
		}
		_ = c.Validate()
	})
}

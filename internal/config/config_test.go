package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadGoodAndBad(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string
		check   func(t *testing.T, c Config)
	}{
		{name: "empty file keeps defaults", yaml: "", check: func(t *testing.T, c Config) {
			if c.DB != DefaultDB {
				t.Errorf("DB = %q, want %q", c.DB, DefaultDB)
			}
		}},
		{name: "override", yaml: "db: postgres://x@127.0.0.1/test\nnetworks:\n  internal: [10.20.0.0/16]\n", check: func(t *testing.T, c Config) {
			if c.DB != "postgres://x@127.0.0.1/test" || len(c.Networks.Internal) != 1 {
				t.Errorf("got %+v", c)
			}
		}},
		{name: "unknown key", yaml: "dbx: sqlite:a\n", wantErr: "field dbx not found"},
		{name: "unknown nested key", yaml: "networks:\n  internl: []\n", wantErr: "field internl not found"},
		{name: "bad yaml", yaml: "db: [\n", wantErr: "yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "vigil.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := Load(path, true)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("err = %v, want one naming %s and containing %q", err, path, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestMissingFile(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "none.yaml"), false); err != nil {
		t.Errorf("optional missing file: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none.yaml"), true); err == nil {
		t.Error("required missing file: no error")
	}
}

func TestEnvOverridesFile(t *testing.T) {
	c := Default()
	env := map[string]string{
		"VIGIL_DB":                "sqlite:/tmp/x.db",
		"VIGIL_NETWORKS_INTERNAL": "10.1.0.0/16, fd00::/8",
		"VIGIL_INGEST_BATCH_SIZE": "500",
	}
	if err := c.ApplyEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if c.DB != "sqlite:/tmp/x.db" || c.Ingest.BatchSize != 500 {
		t.Errorf("got %+v", c)
	}
	nets, err := c.InternalNetworks()
	if err != nil || len(nets) != 2 || nets[1].String() != "fd00::/8" {
		t.Errorf("networks = %v, %v", nets, err)
	}
	if err := c.ApplyEnv(func(k string) string {
		if k == "VIGIL_INGEST_BATCH_SIZE" {
			return "lots"
		}
		return ""
	}); err == nil {
		t.Error("bad batch size accepted")
	}
}

func TestValidate(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	c.DB = "mysql://x"
	c.LogLevel = "loud"
	c.Networks.Internal = []string{"10.0.0.0/33"}
	c.Ingest.BatchSize = 0
	err := c.Validate()
	for _, want := range []string{"mysql", "loud", "networks.internal", "batch_size"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to mention %q", err, want)
		}
	}
}

func TestParseDB(t *testing.T) {
	for _, tt := range []struct{ in, kind, target string }{
		{"sqlite:vigil-data/vigil.db", "sqlite", "vigil-data/vigil.db"},
		{"postgres://u@h/db", "postgres", "postgres://u@h/db"},
		{"postgresql://u@h/db", "postgres", "postgresql://u@h/db"},
	} {
		kind, target, err := ParseDB(tt.in)
		if err != nil || kind != tt.kind || target != tt.target {
			t.Errorf("ParseDB(%q) = %q, %q, %v", tt.in, kind, target, err)
		}
	}
	if _, _, err := ParseDB("sqlite:"); err == nil {
		t.Error("empty sqlite path accepted")
	}
}

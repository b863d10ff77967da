// Package config holds Vigil's configuration: one struct with defaults,
// read from a YAML file (unknown keys are an error), then overridden by
// VIGIL_* environment variables, then by command-line flags (applied by
// the CLI), and checked by Validate.
//
// It only reads and checks settings; it opens nothing they point to.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the whole configuration.
type Config struct {
	// DB is "sqlite:PATH" or a postgres:// URL.
	DB       string `yaml:"db"`
	LogLevel string `yaml:"log_level"`
	Networks struct {
		// Internal lists the CIDRs whose hosts are the hospital's devices.
		Internal []string `yaml:"internal"`
	} `yaml:"networks"`
	OUI struct {
		// Paths are IEEE registry CSV files, Wireshark manuf files or
		// folders holding them.
		Paths []string `yaml:"paths"`
	} `yaml:"oui"`
	Fingerprints struct {
		// Dir, when set, adds the rules of this folder to the built-in corpus.
		Dir string `yaml:"dir"`
	} `yaml:"fingerprints"`
	Ingest struct {
		BatchSize int `yaml:"batch_size"`
	} `yaml:"ingest"`
	Baseline struct {
		// Learning is how long (event time) each device is observed
		// before deviations from its baseline raise alerts.
		Learning Duration `yaml:"learning"`
	} `yaml:"baseline"`
	Sigma struct {
		// Rules are extra Sigma rule files or folders (SigmaHQ's CloudTrail
		// rules, your own), used with Vigil's built-in cloud rules.
		Rules []string `yaml:"rules"`
		// Placeholders are the values of the rules' %name% placeholders
		// (the expand modifier), e.g. fleet_networks: [203.0.113.0/24].
		Placeholders map[string][]string `yaml:"placeholders"`
	} `yaml:"sigma"`
	Policy struct {
		// Path, when set, is the segmentation policy (YAML) that flows
		// are checked against during ingestion.
		Path string `yaml:"path"`
	} `yaml:"policy"`
	Feeds struct {
		// Dir keeps imported reference data (vigil feeds import).
		Dir string `yaml:"dir"`
	} `yaml:"feeds"`
	Serve struct {
		Listen string `yaml:"listen"`
	} `yaml:"serve"`
}

// DefaultDB is where the embedded database lives unless told otherwise.
const DefaultDB = "sqlite:vigil-data/vigil.db"

// Default returns the configuration used when nothing is set.
func Default() Config {
	var c Config
	c.DB = DefaultDB
	c.LogLevel = "info"
	c.Networks.Internal = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"}
	c.OUI.Paths = []string{"/usr/share/ieee-data"}
	c.Ingest.BatchSize = 500_000
	c.Feeds.Dir = "vigil-data/feeds"
	c.Baseline.Learning = Duration(7 * 24 * time.Hour)
	c.Serve.Listen = "127.0.0.1:8080"
	return c
}

// Load returns the defaults overridden by the YAML file at path. A missing
// file is an error only when required is set.
func Load(path string, required bool) (Config, error) {
	c := Default()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !required {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	if err := parse(data, &c); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

func parse(data []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// ApplyEnv overrides settings from VIGIL_* variables read with getenv.
func (c *Config) ApplyEnv(getenv func(string) string) error {
	set := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	list := func(name string, dst *[]string) {
		if v := getenv(name); v != "" {
			*dst = splitList(v)
		}
	}
	set("VIGIL_DB", &c.DB)
	set("VIGIL_LOG_LEVEL", &c.LogLevel)
	list("VIGIL_NETWORKS_INTERNAL", &c.Networks.Internal)
	list("VIGIL_OUI_PATHS", &c.OUI.Paths)
	set("VIGIL_FINGERPRINTS_DIR", &c.Fingerprints.Dir)
	set("VIGIL_FEEDS_DIR", &c.Feeds.Dir)
	set("VIGIL_SERVE_LISTEN", &c.Serve.Listen)
	set("VIGIL_POLICY_PATH", &c.Policy.Path)
	list("VIGIL_SIGMA_RULES", &c.Sigma.Rules)
	if v := getenv("VIGIL_BASELINE_LEARNING"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("VIGIL_BASELINE_LEARNING: %w", err)
		}
		c.Baseline.Learning = Duration(d)
	}
	if v := getenv("VIGIL_INGEST_BATCH_SIZE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("VIGIL_INGEST_BATCH_SIZE: %w", err)
		}
		c.Ingest.BatchSize = n
	}
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Validate checks every setting and reports all problems at once.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := ParseDB(c.DB); err != nil {
		errs = append(errs, err)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level %q: want debug, info, warn or error", c.LogLevel))
	}
	if _, err := c.InternalNetworks(); err != nil {
		errs = append(errs, err)
	}
	if c.Ingest.BatchSize <= 0 {
		errs = append(errs, fmt.Errorf("ingest.batch_size %d: must be positive", c.Ingest.BatchSize))
	}
	if c.Baseline.Learning <= 0 {
		errs = append(errs, fmt.Errorf("baseline.learning %s: must be positive", time.Duration(c.Baseline.Learning)))
	}
	if _, port, err := net.SplitHostPort(c.Serve.Listen); err != nil {
		errs = append(errs, fmt.Errorf("serve.listen %q: %w", c.Serve.Listen, err))
	} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		errs = append(errs, fmt.Errorf("serve.listen %q: bad port", c.Serve.Listen))
	}
	return errors.Join(errs...)
}

// InternalNetworks parses networks.internal.
func (c Config) InternalNetworks() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range c.Networks.Internal {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("networks.internal: %w", err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// ParseDB splits a database setting into its kind ("sqlite" or
// "postgres") and the path or URL the backend opens.
func ParseDB(db string) (kind, target string, err error) {
	switch {
	case strings.HasPrefix(db, "sqlite:"):
		path := strings.TrimPrefix(db, "sqlite:")
		if path == "" {
			return "", "", errors.New("db: sqlite: needs a path, e.g. sqlite:vigil-data/vigil.db")
		}
		return "sqlite", path, nil
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		return "postgres", db, nil
	default:
		return "", "", fmt.Errorf("db %q: want sqlite:PATH or a postgres:// URL", db)
	}
}

// Duration is a time.Duration written the way Go prints one ("168h",
// "36h30m") in YAML.
type Duration time.Duration

// UnmarshalYAML parses a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

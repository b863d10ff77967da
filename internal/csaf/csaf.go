// Package csaf reads vendor security advisories and VEX statements: CSAF 2.0
// documents (security advisories, VEX and base profiles; single files, folder
// trees, provider-metadata.json and ROLIE feeds), CycloneDX VEX and OpenVEX,
// and normalizes them into Advisory and Statement values.
//
// It checks what it reads — .sha512/.sha256 sidecar hashes, the CSAF 2.0 JSON
// schema — and reports each document it rejects with its path and, for schema
// errors, the JSON pointer; the rest still reads. It never fetches anything
// from the network (a feed entry that is not a local file is reported, not
// followed), and it does not match advisories to devices or store them: that
// belongs to its callers.
package csaf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Status is a CSAF product status (the name of a product_status list).
type Status string

// The CSAF 2.0 product statuses.
const (
	KnownAffected      Status = "known_affected"
	KnownNotAffected   Status = "known_not_affected"
	Fixed              Status = "fixed"
	UnderInvestigation Status = "under_investigation"
	FirstAffected      Status = "first_affected"
	LastAffected       Status = "last_affected"
	FirstFixed         Status = "first_fixed"
	Recommended        Status = "recommended"
)

var statuses = []Status{KnownAffected, KnownNotAffected, Fixed, UnderInvestigation,
	FirstAffected, LastAffected, FirstFixed, Recommended}

// Product is a CSAF product (a full_product_name) with its place in the
// product tree.
type Product struct {
	ID, Name string
	// From the branches above the product: vendor → product_family →
	// product_name → product_version / product_version_range.
	Vendor, Family, ProductName, Version string
	// VersionRange is the product_version_range (vers or free text) when the
	// branch gives a range instead of a version.
	VersionRange string
	// From product_identification_helper.
	CPE                               string
	PURLs                             []string
	ModelNumbers, SKUs, SerialNumbers []string
	Hashes                            map[string]string // algorithm → value, every file hash given
	// For a product defined by a relationship: its category
	// (default_component_of, installed_on, …) and both parts, by ID and name.
	Relationship                string
	Component, Platform         string
	ComponentName, PlatformName string
}

// Score is one CVSS score of a vulnerability for the products it names.
type Score struct {
	Version  string // "2.0", "3.0", "3.1"
	Vector   string
	Base     float64
	Severity string // baseSeverity (v3 only)
	Products []string
}

// Remediation is a CSAF remediation with product groups expanded.
type Remediation struct {
	Category   string // vendor_fix, workaround, mitigation, no_fix_planned, none_available
	Details    string
	URL        string
	ProductIDs []string
	Date       time.Time
}

// Flag is a CSAF flag: a machine-readable VEX justification (label) for the
// products it names.
type Flag struct {
	Label      string // component_not_present, vulnerable_code_not_present, …
	ProductIDs []string
	Date       time.Time
}

// Threat is a CSAF threat (impact, exploit_status, target) as given.
type Threat struct {
	Category   string
	Details    string
	ProductIDs []string
	Date       time.Time
}

// Vulnerability is one entry of a CSAF document's vulnerabilities.
type Vulnerability struct {
	CVE          string
	IDs          []string // ids[].text, in order
	Title        string
	CWE          string // "CWE-287"
	CWEName      string
	Scores       []Score
	Products     map[Status][]string // product IDs per status
	Remediations []Remediation
	Flags        []Flag
	Threats      []Threat
	Description  string // the first "description" note, else the first "summary"
}

// Advisory is a CSAF 2.0 document, normalized.
type Advisory struct {
	Path      string // the file it was read from
	ID        string // document.tracking.id
	Title     string
	Publisher string
	Category  string // csaf_security_advisory, csaf_vex, csaf_base, …
	Version   string
	Initial   time.Time
	Current   time.Time
	TLP       string
	// Products by product ID: the whole product tree flattened (branches,
	// full_product_names and relationships).
	Products map[string]Product
	// Groups maps product group IDs to their product IDs.
	Groups          map[string][]string
	Vulnerabilities []Vulnerability
}

// Raw CSAF JSON, only the parts read.

type rawDoc struct {
	Document struct {
		Category     string `json:"category"`
		Title        string `json:"title"`
		Distribution struct {
			TLP struct {
				Label string `json:"label"`
			} `json:"tlp"`
		} `json:"distribution"`
		Publisher struct {
			Name string `json:"name"`
		} `json:"publisher"`
		Tracking struct {
			ID                 string `json:"id"`
			Version            string `json:"version"`
			InitialReleaseDate string `json:"initial_release_date"`
			CurrentReleaseDate string `json:"current_release_date"`
		} `json:"tracking"`
	} `json:"document"`
	ProductTree struct {
		Branches         []rawBranch   `json:"branches"`
		FullProductNames []rawFullName `json:"full_product_names"`
		ProductGroups    []struct {
			GroupID    string   `json:"group_id"`
			ProductIDs []string `json:"product_ids"`
		} `json:"product_groups"`
		Relationships []struct {
			Category                  string      `json:"category"`
			ProductReference          string      `json:"product_reference"`
			RelatesToProductReference string      `json:"relates_to_product_reference"`
			FullProductName           rawFullName `json:"full_product_name"`
		} `json:"relationships"`
	} `json:"product_tree"`
	Vulnerabilities []rawVuln `json:"vulnerabilities"`
}

type rawBranch struct {
	Category string       `json:"category"`
	Name     string       `json:"name"`
	Product  *rawFullName `json:"product"`
	Branches []rawBranch  `json:"branches"`
}

type rawFullName struct {
	Name      string `json:"name"`
	ProductID string `json:"product_id"`
	Helper    *struct {
		CPE    string `json:"cpe"`
		PURL   string `json:"purl"`
		Hashes []struct {
			FileHashes []struct {
				Algorithm string `json:"algorithm"`
				Value     string `json:"value"`
			} `json:"file_hashes"`
		} `json:"hashes"`
		ModelNumbers  []string `json:"model_numbers"`
		SKUs          []string `json:"skus"`
		SerialNumbers []string `json:"serial_numbers"`
	} `json:"product_identification_helper"`
}

type rawCVSS struct {
	Version      string  `json:"version"`
	VectorString string  `json:"vectorString"`
	BaseScore    float64 `json:"baseScore"`
	BaseSeverity string  `json:"baseSeverity"`
}

type rawVuln struct {
	CVE   string `json:"cve"`
	Title string `json:"title"`
	IDs   []struct {
		Text string `json:"text"`
	} `json:"ids"`
	CWE *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"cwe"`
	Notes []struct {
		Category string `json:"category"`
		Text     string `json:"text"`
	} `json:"notes"`
	Scores []struct {
		CVSSv2   *rawCVSS `json:"cvss_v2"`
		CVSSv3   *rawCVSS `json:"cvss_v3"`
		Products []string `json:"products"`
	} `json:"scores"`
	ProductStatus map[Status][]string `json:"product_status"`
	Remediations  []struct {
		Category   string   `json:"category"`
		Details    string   `json:"details"`
		URL        string   `json:"url"`
		Date       string   `json:"date"`
		ProductIDs []string `json:"product_ids"`
		GroupIDs   []string `json:"group_ids"`
	} `json:"remediations"`
	Flags []struct {
		Label      string   `json:"label"`
		Date       string   `json:"date"`
		ProductIDs []string `json:"product_ids"`
		GroupIDs   []string `json:"group_ids"`
	} `json:"flags"`
	Threats []struct {
		Category   string   `json:"category"`
		Details    string   `json:"details"`
		Date       string   `json:"date"`
		ProductIDs []string `json:"product_ids"`
		GroupIDs   []string `json:"group_ids"`
	} `json:"threats"`
}

// parseCSAF checks data against the CSAF 2.0 schema and normalizes it. A
// schema error returns the JSON pointer of the first error.
func parseCSAF(data []byte) (adv *Advisory, pointer string, err error) {
	if pointer, err := validateCSAF(data); err != nil {
		return nil, pointer, err
	}
	var raw rawDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return nil, "", fmt.Errorf("decode: %w", err)
	}
	return normalize(&raw), "", nil
}

func normalize(raw *rawDoc) *Advisory {
	d := &raw.Document
	adv := &Advisory{
		ID:        d.Tracking.ID,
		Title:     d.Title,
		Publisher: d.Publisher.Name,
		Category:  d.Category,
		Version:   d.Tracking.Version,
		Initial:   parseTime(d.Tracking.InitialReleaseDate),
		Current:   parseTime(d.Tracking.CurrentReleaseDate),
		TLP:       d.Distribution.TLP.Label,
		Products:  map[string]Product{},
		Groups:    map[string][]string{},
	}
	pt := &raw.ProductTree
	var walk func(bs []rawBranch, p Product)
	walk = func(bs []rawBranch, p Product) {
		for _, b := range bs {
			q := p
			switch b.Category {
			case "vendor":
				q.Vendor = b.Name
			case "product_family":
				if q.Family == "" {
					q.Family = b.Name
				} else {
					q.Family += " / " + b.Name
				}
			case "product_name":
				q.ProductName = b.Name
			case "product_version":
				q.Version = b.Name
			case "product_version_range":
				q.VersionRange = b.Name
			}
			if b.Product != nil {
				adv.addProduct(*b.Product, q)
			}
			walk(b.Branches, q)
		}
	}
	walk(pt.Branches, Product{})
	for _, fpn := range pt.FullProductNames {
		adv.addProduct(fpn, Product{})
	}
	for _, g := range pt.ProductGroups {
		adv.Groups[g.GroupID] = append(adv.Groups[g.GroupID], g.ProductIDs...)
	}
	for _, r := range pt.Relationships {
		adv.addProduct(r.FullProductName, Product{
			Relationship:  r.Category,
			Component:     r.ProductReference,
			Platform:      r.RelatesToProductReference,
			ComponentName: adv.Products[r.ProductReference].Name,
			PlatformName:  adv.Products[r.RelatesToProductReference].Name,
		})
	}
	for _, rv := range raw.Vulnerabilities {
		adv.Vulnerabilities = append(adv.Vulnerabilities, adv.vulnerability(&rv))
	}
	return adv
}

func (adv *Advisory) addProduct(f rawFullName, p Product) {
	p.ID, p.Name = f.ProductID, f.Name
	if h := f.Helper; h != nil {
		p.CPE = h.CPE
		if h.PURL != "" {
			p.PURLs = []string{h.PURL}
		}
		p.ModelNumbers = h.ModelNumbers
		p.SKUs = h.SKUs
		p.SerialNumbers = h.SerialNumbers
		for _, fh := range h.Hashes {
			for _, x := range fh.FileHashes {
				if p.Hashes == nil {
					p.Hashes = map[string]string{}
				}
				p.Hashes[x.Algorithm] = x.Value
			}
		}
	}
	if old, ok := adv.Products[p.ID]; ok {
		// A product ID defined twice (a CSAF mandatory-test failure, but seen
		// in real documents): keep what the first place said, fill the gaps.
		p = merge(old, p)
	}
	adv.Products[p.ID] = p
}

func merge(a, b Product) Product {
	fill := func(x *string, y string) {
		if *x == "" {
			*x = y
		}
	}
	fill(&a.Name, b.Name)
	fill(&a.Vendor, b.Vendor)
	fill(&a.Family, b.Family)
	fill(&a.ProductName, b.ProductName)
	fill(&a.Version, b.Version)
	fill(&a.VersionRange, b.VersionRange)
	fill(&a.CPE, b.CPE)
	a.PURLs = union(a.PURLs, b.PURLs)
	a.ModelNumbers = union(a.ModelNumbers, b.ModelNumbers)
	a.SKUs = union(a.SKUs, b.SKUs)
	a.SerialNumbers = union(a.SerialNumbers, b.SerialNumbers)
	return a
}

func union(a, b []string) []string {
	for _, s := range b {
		if !slices.Contains(a, s) {
			a = append(a, s)
		}
	}
	return a
}

// expand returns the product IDs plus those of the groups, without duplicates.
func (adv *Advisory) expand(ids, groups []string) []string {
	out := union(nil, ids)
	for _, g := range groups {
		out = union(out, adv.Groups[g])
	}
	return out
}

func (adv *Advisory) vulnerability(rv *rawVuln) Vulnerability {
	v := Vulnerability{CVE: rv.CVE, Title: rv.Title}
	for _, id := range rv.IDs {
		v.IDs = append(v.IDs, id.Text)
	}
	if rv.CWE != nil {
		v.CWE, v.CWEName = rv.CWE.ID, rv.CWE.Name
	}
	for _, want := range []string{"description", "summary"} {
		if v.Description != "" {
			break
		}
		for _, n := range rv.Notes {
			if n.Category == want {
				v.Description = n.Text
				break
			}
		}
	}
	for _, s := range rv.Scores {
		for _, c := range []*rawCVSS{s.CVSSv3, s.CVSSv2} {
			if c != nil {
				v.Scores = append(v.Scores, Score{Version: c.Version, Vector: c.VectorString,
					Base: c.BaseScore, Severity: c.BaseSeverity, Products: s.Products})
			}
		}
	}
	for _, st := range statuses {
		if ids := rv.ProductStatus[st]; len(ids) > 0 {
			if v.Products == nil {
				v.Products = map[Status][]string{}
			}
			v.Products[st] = union(nil, ids)
		}
	}
	for _, r := range rv.Remediations {
		v.Remediations = append(v.Remediations, Remediation{Category: r.Category, Details: r.Details,
			URL: r.URL, ProductIDs: adv.expand(r.ProductIDs, r.GroupIDs), Date: parseTime(r.Date)})
	}
	for _, f := range rv.Flags {
		v.Flags = append(v.Flags, Flag{Label: f.Label, ProductIDs: adv.expand(f.ProductIDs, f.GroupIDs),
			Date: parseTime(f.Date)})
	}
	for _, t := range rv.Threats {
		v.Threats = append(v.Threats, Threat{Category: t.Category, Details: t.Details,
			ProductIDs: adv.expand(t.ProductIDs, t.GroupIDs), Date: parseTime(t.Date)})
	}
	return v
}

// parseTime reads an RFC 3339 date-time (the schema has checked the format);
// anything else is the zero time.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

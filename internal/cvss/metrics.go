package cvss

// group says which part of a vector a metric belongs to; it decides which
// score Score reports and which metrics are mandatory.
type group uint8

const (
	groupBase          group = iota
	groupTemporal            // 3.x Temporal, 4.0 Threat
	groupEnvironmental       // 3.x and 4.0 Environmental (security requirements and modified base)
	groupSupplemental        // 4.0 Supplemental: parsed and kept, never scored
)

// metricDef describes one metric of one CVSS version: its abbreviation,
// the values the specification allows (in the specification's order), and
// its group. Optional metrics list "X" (Not Defined) among their values.
type metricDef struct {
	name   string
	values []string
	group  group
}

// maxMetrics is the largest number of metrics any version defines (4.0: 32).
const maxMetrics = 32

// metrics3 lists the CVSS v3.0 / v3.1 metrics in the specification's
// canonical vector order (CVSS v3.1 specification, section 6, Table 15).
var metrics3 = []metricDef{
	{"AV", []string{"N", "A", "L", "P"}, groupBase},
	{"AC", []string{"L", "H"}, groupBase},
	{"PR", []string{"N", "L", "H"}, groupBase},
	{"UI", []string{"N", "R"}, groupBase},
	{"S", []string{"U", "C"}, groupBase},
	{"C", []string{"H", "L", "N"}, groupBase},
	{"I", []string{"H", "L", "N"}, groupBase},
	{"A", []string{"H", "L", "N"}, groupBase},
	{"E", []string{"X", "H", "F", "P", "U"}, groupTemporal},
	{"RL", []string{"X", "U", "W", "T", "O"}, groupTemporal},
	{"RC", []string{"X", "C", "R", "U"}, groupTemporal},
	{"CR", []string{"X", "H", "M", "L"}, groupEnvironmental},
	{"IR", []string{"X", "H", "M", "L"}, groupEnvironmental},
	{"AR", []string{"X", "H", "M", "L"}, groupEnvironmental},
	{"MAV", []string{"X", "N", "A", "L", "P"}, groupEnvironmental},
	{"MAC", []string{"X", "L", "H"}, groupEnvironmental},
	{"MPR", []string{"X", "N", "L", "H"}, groupEnvironmental},
	{"MUI", []string{"X", "N", "R"}, groupEnvironmental},
	{"MS", []string{"X", "U", "C"}, groupEnvironmental},
	{"MC", []string{"X", "H", "L", "N"}, groupEnvironmental},
	{"MI", []string{"X", "H", "L", "N"}, groupEnvironmental},
	{"MA", []string{"X", "H", "L", "N"}, groupEnvironmental},
}

// metrics4 lists the CVSS v4.0 metrics in the order the v4.0 specification
// (section 7, "Vector String") requires.
var metrics4 = []metricDef{
	{"AV", []string{"N", "A", "L", "P"}, groupBase},
	{"AC", []string{"L", "H"}, groupBase},
	{"AT", []string{"N", "P"}, groupBase},
	{"PR", []string{"N", "L", "H"}, groupBase},
	{"UI", []string{"N", "P", "A"}, groupBase},
	{"VC", []string{"H", "L", "N"}, groupBase},
	{"VI", []string{"H", "L", "N"}, groupBase},
	{"VA", []string{"H", "L", "N"}, groupBase},
	{"SC", []string{"H", "L", "N"}, groupBase},
	{"SI", []string{"H", "L", "N"}, groupBase},
	{"SA", []string{"H", "L", "N"}, groupBase},
	{"E", []string{"X", "A", "P", "U"}, groupTemporal},
	{"CR", []string{"X", "H", "M", "L"}, groupEnvironmental},
	{"IR", []string{"X", "H", "M", "L"}, groupEnvironmental},
	{"AR", []string{"X", "H", "M", "L"}, groupEnvironmental},
	{"MAV", []string{"X", "N", "A", "L", "P"}, groupEnvironmental},
	{"MAC", []string{"X", "L", "H"}, groupEnvironmental},
	{"MAT", []string{"X", "N", "P"}, groupEnvironmental},
	{"MPR", []string{"X", "N", "L", "H"}, groupEnvironmental},
	{"MUI", []string{"X", "N", "P", "A"}, groupEnvironmental},
	{"MVC", []string{"X", "H", "L", "N"}, groupEnvironmental},
	{"MVI", []string{"X", "H", "L", "N"}, groupEnvironmental},
	{"MVA", []string{"X", "H", "L", "N"}, groupEnvironmental},
	{"MSC", []string{"X", "H", "L", "N"}, groupEnvironmental},
	{"MSI", []string{"X", "S", "H", "L", "N"}, groupEnvironmental},
	{"MSA", []string{"X", "S", "H", "L", "N"}, groupEnvironmental},
	{"S", []string{"X", "N", "P"}, groupSupplemental},
	{"AU", []string{"X", "N", "Y"}, groupSupplemental},
	{"R", []string{"X", "A", "U", "I"}, groupSupplemental},
	{"V", []string{"X", "D", "C"}, groupSupplemental},
	{"RE", []string{"X", "L", "M", "H"}, groupSupplemental},
	{"U", []string{"X", "Clear", "Green", "Amber", "Red"}, groupSupplemental},
}

// index of each metric name in metrics3 / metrics4.
var (
	index3 = indexOf(metrics3)
	index4 = indexOf(metrics4)
)

func indexOf(defs []metricDef) map[string]int {
	m := make(map[string]int, len(defs))
	for i, d := range defs {
		m[d.name] = i
	}
	return m
}

// Indexes into metrics3, used by the 3.x scoring.
const (
	m3AV = iota
	m3AC
	m3PR
	m3UI
	m3S
	m3C
	m3I
	m3A
	m3E
	m3RL
	m3RC
	m3CR
	m3IR
	m3AR
	m3MAV
	m3MAC
	m3MPR
	m3MUI
	m3MS
	m3MC
	m3MI
	m3MA
)

// Indexes into metrics4, used by the 4.0 scoring.
const (
	m4AV = iota
	m4AC
	m4AT
	m4PR
	m4UI
	m4VC
	m4VI
	m4VA
	m4SC
	m4SI
	m4SA
	m4E
	m4CR
	m4IR
	m4AR
	m4MAV // the modified base metrics follow in base order: MAV..MSA = AV..SA + m4MAV
)

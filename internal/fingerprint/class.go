package fingerprint

import "github.com/vigil-iomt/vigil/internal/asset"

// Unknown is the class of a device that no rule matched.
const Unknown = "unknown"

// Class is one kind of device that a rule may name: a fact table, not
// configuration. docs/fingerprints.md explains the criticality of each.
type Class struct {
	Name  string // the identifier used in rules, e.g. "infusion_pump"
	Label string // for people, e.g. "Infusion pump"
	// Criticality is the default level for devices of the class; an
	// operator's override on the device wins.
	Criticality asset.Criticality
	// Mobile is set for classes whose devices move between units and
	// networks as part of normal care (pumps and monitors travel with the
	// patient, carts and badges with staff): a new network says little
	// about them, their zones are the policy's to enforce.
	Mobile bool
	// Parent is the more general class that this one refines, or "".
	// Rules for the parent count as evidence for the child, so that a rule
	// that only knows "an imaging modality" supports one that knows "a CT".
	Parent string
}

// classes is the table, grouped by criticality, most critical first.
var classes = []Class{
	// Life-sustaining: failure or tampering can directly kill or seriously
	// injure the patient connected to the device.
	{Name: "infusion_pump", Label: "Infusion pump", Criticality: asset.LifeSustaining, Mobile: true},
	{Name: "insulin_pump_cgm_hub", Label: "Insulin pump / CGM hub", Criticality: asset.LifeSustaining, Mobile: true},
	{Name: "ventilator", Label: "Ventilator / anaesthesia workstation", Criticality: asset.LifeSustaining, Mobile: true},
	{Name: "defibrillator", Label: "Defibrillator", Criticality: asset.LifeSustaining, Mobile: true},
	{Name: "cardiac_implant_programmer", Label: "Cardiac implant programmer / home monitor", Criticality: asset.LifeSustaining},
	{Name: "dialysis_machine", Label: "Dialysis machine", Criticality: asset.LifeSustaining},
	{Name: "surgical_robot", Label: "Surgical robot", Criticality: asset.LifeSustaining},

	// Life-supporting: watch the patient; failure delays the response to a
	// deterioration rather than causing it.
	{Name: "patient_monitor", Label: "Patient monitor", Criticality: asset.LifeSupporting, Mobile: true},
	{Name: "rpm_hub", Label: "Remote patient monitoring / wearable gateway", Criticality: asset.LifeSupporting, Mobile: true},
	{Name: "device_server", Label: "Medical device server (central station, pump server, integration gateway)", Criticality: asset.LifeSupporting},

	// Diagnostic: produce the images and results that decisions rest on.
	{Name: "imaging_modality", Label: "Imaging modality (type not determined)", Criticality: asset.Diagnostic},
	{Name: "imaging_ct", Label: "CT scanner", Criticality: asset.Diagnostic, Parent: "imaging_modality"},
	{Name: "imaging_mr", Label: "MR scanner", Criticality: asset.Diagnostic, Parent: "imaging_modality"},
	{Name: "imaging_ultrasound", Label: "Ultrasound system", Criticality: asset.Diagnostic, Parent: "imaging_modality", Mobile: true},
	{Name: "imaging_xray", Label: "X-ray / mammography system", Criticality: asset.Diagnostic, Parent: "imaging_modality", Mobile: true},
	{Name: "imaging_nuclear", Label: "Nuclear medicine (SPECT/PET) system", Criticality: asset.Diagnostic, Parent: "imaging_modality"},
	{Name: "pacs", Label: "PACS / image archive", Criticality: asset.Diagnostic},
	{Name: "dicom_workstation", Label: "DICOM review workstation", Criticality: asset.Diagnostic},
	{Name: "lab_analyzer", Label: "Laboratory analyzer", Criticality: asset.Diagnostic},

	// Clinical support: the clinical workflow depends on them, the patient
	// does not directly.
	{Name: "nurse_call", Label: "Nurse call system", Criticality: asset.ClinicalSupport},
	{Name: "medication_dispensing_cabinet", Label: "Medication dispensing cabinet", Criticality: asset.ClinicalSupport},
	{Name: "clinical_workstation", Label: "Clinical workstation (EHR client)", Criticality: asset.ClinicalSupport, Mobile: true},
	{Name: "ehr_server", Label: "EHR server", Criticality: asset.ClinicalSupport},
	{Name: "hl7_interface_engine", Label: "HL7 interface engine", Criticality: asset.ClinicalSupport},

	// Non-clinical.
	{Name: "network_gear", Label: "Network equipment", Criticality: asset.NonClinical},
	{Name: "printer", Label: "Printer", Criticality: asset.NonClinical},
	{Name: "ip_phone", Label: "IP phone / wireless badge", Criticality: asset.NonClinical, Mobile: true},
	{Name: "iot_building", Label: "Building IoT (BMS, cameras, access)", Criticality: asset.NonClinical},
	{Name: "it_server", Label: "IT server (directory, voice, print, logging, monitoring)", Criticality: asset.NonClinical},

	{Name: Unknown, Label: "Unknown", Criticality: asset.CriticalityUnknown},
}

// classIndex maps a class name to its position in classes.
var classIndex = func() map[string]int {
	m := make(map[string]int, len(classes))
	for i, c := range classes {
		m[c.Name] = i
	}
	return m
}()

// Classes returns the class table, most critical classes first.
func Classes() []Class {
	return append([]Class(nil), classes...)
}

// LookupClass returns the class named name.
func LookupClass(name string) (Class, bool) {
	i, ok := classIndex[name]
	if !ok {
		return Class{}, false
	}
	return classes[i], true
}

// IsMobile reports whether devices of the class move between networks in
// normal use.
func IsMobile(class string) bool {
	c, ok := LookupClass(class)
	return ok && c.Mobile
}

// CriticalityOf returns the default criticality of devices of class; for
// Unknown and for names not in the table it is asset.CriticalityUnknown.
func CriticalityOf(class string) asset.Criticality {
	if c, ok := LookupClass(class); ok {
		return c.Criticality
	}
	return asset.CriticalityUnknown
}

// lineage returns the indexes of class i and of its ancestors, nearest
// first.
func lineage(i int) []int { return lineages[i] }

var lineages = func() [][]int {
	out := make([][]int, len(classes))
	for i := range classes {
		out[i] = []int{i}
		for p := classes[i].Parent; p != ""; p = classes[classIndex[p]].Parent {
			out[i] = append(out[i], classIndex[p])
		}
	}
	return out
}()

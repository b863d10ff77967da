package attack

// The built-in table: the ATT&CK and D3FEND IDs Vigil's detections use, with
// their names as published in ATT&CK v18 (Enterprise 18, ICS 18.1) and the
// D3FEND ontology. Every entry is checked against the published files by
// TestBuiltinKnownByPublishedData when VIGIL_DATASETS is set. Only IDs, names,
// tactic shortnames, parents and D3FEND class names live here; everything else comes from the
// loaders.

var builtinTechniques = []Technique{
	// Enterprise.
	{ID: "T1018", Name: "Remote System Discovery", Matrix: Enterprise, Tactics: []string{"discovery"}},
	{ID: "T1021", Name: "Remote Services", Matrix: Enterprise, Tactics: []string{"lateral-movement"}},
	{ID: "T1021.008", Name: "Direct Cloud VM Connections", Matrix: Enterprise, Tactics: []string{"lateral-movement"}, SubtechniqueOf: "T1021"},
	{ID: "T1029", Name: "Scheduled Transfer", Matrix: Enterprise, Tactics: []string{"exfiltration"}},
	{ID: "T1041", Name: "Exfiltration Over C2 Channel", Matrix: Enterprise, Tactics: []string{"exfiltration"}},
	{ID: "T1046", Name: "Network Service Discovery", Matrix: Enterprise, Tactics: []string{"discovery"}},
	{ID: "T1048", Name: "Exfiltration Over Alternative Protocol", Matrix: Enterprise, Tactics: []string{"exfiltration"}},
	{ID: "T1071", Name: "Application Layer Protocol", Matrix: Enterprise, Tactics: []string{"command-and-control"}},
	{ID: "T1071.001", Name: "Web Protocols", Matrix: Enterprise, Tactics: []string{"command-and-control"}, SubtechniqueOf: "T1071"},
	{ID: "T1071.004", Name: "DNS", Matrix: Enterprise, Tactics: []string{"command-and-control"}, SubtechniqueOf: "T1071"},
	{ID: "T1072", Name: "Software Deployment Tools", Matrix: Enterprise, Tactics: []string{"execution", "lateral-movement"}},
	{ID: "T1078", Name: "Valid Accounts", Matrix: Enterprise, Tactics: []string{"defense-evasion", "persistence", "privilege-escalation", "initial-access"}},
	{ID: "T1078.004", Name: "Cloud Accounts", Matrix: Enterprise, Tactics: []string{"defense-evasion", "persistence", "privilege-escalation", "initial-access"}, SubtechniqueOf: "T1078"},
	{ID: "T1098", Name: "Account Manipulation", Matrix: Enterprise, Tactics: []string{"persistence", "privilege-escalation"}},
	{ID: "T1098.001", Name: "Additional Cloud Credentials", Matrix: Enterprise, Tactics: []string{"persistence", "privilege-escalation"}, SubtechniqueOf: "T1098"},
	{ID: "T1098.003", Name: "Additional Cloud Roles", Matrix: Enterprise, Tactics: []string{"persistence", "privilege-escalation"}, SubtechniqueOf: "T1098"},
	{ID: "T1098.004", Name: "SSH Authorized Keys", Matrix: Enterprise, Tactics: []string{"persistence", "privilege-escalation"}, SubtechniqueOf: "T1098"},
	{ID: "T1098.005", Name: "Device Registration", Matrix: Enterprise, Tactics: []string{"persistence", "privilege-escalation"}, SubtechniqueOf: "T1098"},
	{ID: "T1105", Name: "Ingress Tool Transfer", Matrix: Enterprise, Tactics: []string{"command-and-control"}},
	{ID: "T1190", Name: "Exploit Public-Facing Application", Matrix: Enterprise, Tactics: []string{"initial-access"}},
	{ID: "T1195", Name: "Supply Chain Compromise", Matrix: Enterprise, Tactics: []string{"initial-access"}},
	{ID: "T1199", Name: "Trusted Relationship", Matrix: Enterprise, Tactics: []string{"initial-access"}},
	{ID: "T1200", Name: "Hardware Additions", Matrix: Enterprise, Tactics: []string{"initial-access"}},
	{ID: "T1210", Name: "Exploitation of Remote Services", Matrix: Enterprise, Tactics: []string{"lateral-movement"}},
	{ID: "T1485", Name: "Data Destruction", Matrix: Enterprise, Tactics: []string{"impact"}},
	{ID: "T1526", Name: "Cloud Service Discovery", Matrix: Enterprise, Tactics: []string{"discovery"}},
	{ID: "T1530", Name: "Data from Cloud Storage", Matrix: Enterprise, Tactics: []string{"collection"}},
	{ID: "T1531", Name: "Account Access Removal", Matrix: Enterprise, Tactics: []string{"impact"}},
	{ID: "T1550.001", Name: "Application Access Token", Matrix: Enterprise, Tactics: []string{"defense-evasion", "lateral-movement"}, SubtechniqueOf: "T1550"},
	{ID: "T1552", Name: "Unsecured Credentials", Matrix: Enterprise, Tactics: []string{"credential-access"}},
	{ID: "T1553.004", Name: "Install Root Certificate", Matrix: Enterprise, Tactics: []string{"defense-evasion"}, SubtechniqueOf: "T1553"},
	{ID: "T1555.006", Name: "Cloud Secrets Management Stores", Matrix: Enterprise, Tactics: []string{"credential-access"}, SubtechniqueOf: "T1555"},
	{ID: "T1557", Name: "Adversary-in-the-Middle", Matrix: Enterprise, Tactics: []string{"credential-access", "collection"}},
	{ID: "T1562.008", Name: "Disable or Modify Cloud Logs", Matrix: Enterprise, Tactics: []string{"defense-evasion"}, SubtechniqueOf: "T1562"},
	{ID: "T1565.001", Name: "Stored Data Manipulation", Matrix: Enterprise, Tactics: []string{"impact"}, SubtechniqueOf: "T1565"},
	{ID: "T1568", Name: "Dynamic Resolution", Matrix: Enterprise, Tactics: []string{"command-and-control"}},
	{ID: "T1570", Name: "Lateral Tool Transfer", Matrix: Enterprise, Tactics: []string{"lateral-movement"}},
	{ID: "T1571", Name: "Non-Standard Port", Matrix: Enterprise, Tactics: []string{"command-and-control"}},
	{ID: "T1573", Name: "Encrypted Channel", Matrix: Enterprise, Tactics: []string{"command-and-control"}},
	{ID: "T1580", Name: "Cloud Infrastructure Discovery", Matrix: Enterprise, Tactics: []string{"discovery"}},
	// ICS.
	{ID: "T0812", Name: "Default Credentials", Matrix: ICS, Tactics: []string{"lateral-movement"}},
	{ID: "T0822", Name: "External Remote Services", Matrix: ICS, Tactics: []string{"initial-access"}},
	{ID: "T0830", Name: "Adversary-in-the-Middle", Matrix: ICS, Tactics: []string{"collection"}},
	{ID: "T0839", Name: "Module Firmware", Matrix: ICS, Tactics: []string{"persistence", "impair-process-control"}},
	{ID: "T0840", Name: "Network Connection Enumeration", Matrix: ICS, Tactics: []string{"discovery"}},
	{ID: "T0846", Name: "Remote System Discovery", Matrix: ICS, Tactics: []string{"discovery"}},
	{ID: "T0857", Name: "System Firmware", Matrix: ICS, Tactics: []string{"persistence", "inhibit-response-function"}},
	{ID: "T0866", Name: "Exploitation of Remote Services", Matrix: ICS, Tactics: []string{"initial-access", "lateral-movement"}},
	{ID: "T0869", Name: "Standard Application Layer Protocol", Matrix: ICS, Tactics: []string{"command-and-control"}},
	{ID: "T0882", Name: "Theft of Operational Information", Matrix: ICS, Tactics: []string{"impact"}},
	{ID: "T0883", Name: "Internet Accessible Device", Matrix: ICS, Tactics: []string{"initial-access"}},
	{ID: "T0885", Name: "Commonly Used Port", Matrix: ICS, Tactics: []string{"command-and-control"}},
	{ID: "T0886", Name: "Remote Services", Matrix: ICS, Tactics: []string{"initial-access", "lateral-movement"}},
}

var builtinCountermeasures = []Countermeasure{
	{ID: "D3-AI", Name: "Asset Inventory", Class: "AssetInventory"},
	{ID: "D3-ANET", Name: "Authentication Event Thresholding", Parent: "D3-UBA", Class: "AuthenticationEventThresholding"},
	{ID: "D3-APA", Name: "Access Policy Administration", Class: "AccessPolicyAdministration"},
	{ID: "D3-AZET", Name: "Authorization Event Thresholding", Parent: "D3-UBA", Class: "AuthorizationEventThresholding"},
	{ID: "D3-BDI", Name: "Broadcast Domain Isolation", Parent: "D3-NI", Class: "BroadcastDomainIsolation"},
	{ID: "D3-CA", Name: "Certificate Analysis", Parent: "D3-NTA", Class: "CertificateAnalysis"},
	{ID: "D3-CAA", Name: "Connection Attempt Analysis", Parent: "D3-NTA", Class: "ConnectionAttemptAnalysis"},
	{ID: "D3-CBAN", Name: "Certificate-based Authentication", Parent: "D3-AA", Class: "Certificate-basedAuthentication"},
	{ID: "D3-CI", Name: "Configuration Inventory", Parent: "D3-AI", Class: "ConfigurationInventory"},
	{ID: "D3-CSPP", Name: "Client-server Payload Profiling", Parent: "D3-NTA", Class: "Client-serverPayloadProfiling"},
	{ID: "D3-DAM", Name: "Domain Account Monitoring", Parent: "D3-UBA", Class: "DomainAccountMonitoring"},
	{ID: "D3-DNSDL", Name: "DNS Denylisting", Parent: "D3-NI", Class: "DNSDenylisting"},
	{ID: "D3-DNSTA", Name: "DNS Traffic Analysis", Parent: "D3-NTA", Class: "DNSTrafficAnalysis"},
	{ID: "D3-FV", Name: "Firmware Verification", Parent: "D3-PM", Class: "FirmwareVerification"},
	{ID: "D3-ITF", Name: "Inbound Traffic Filtering", Parent: "D3-NTF", Class: "InboundTrafficFiltering"},
	{ID: "D3-NI", Name: "Network Isolation", Class: "NetworkIsolation"},
	{ID: "D3-NTA", Name: "Network Traffic Analysis", Class: "NetworkTrafficAnalysis"},
	{ID: "D3-NTCD", Name: "Network Traffic Community Deviation", Parent: "D3-NTA", Class: "NetworkTrafficCommunityDeviation"},
	{ID: "D3-NTF", Name: "Network Traffic Filtering", Parent: "D3-NI", Class: "NetworkTrafficFiltering"},
	{ID: "D3-OTF", Name: "Outbound Traffic Filtering", Parent: "D3-NTF", Class: "OutboundTrafficFiltering"},
	{ID: "D3-PHDURA", Name: "Per Host Download-Upload Ratio Analysis", Parent: "D3-NTA", Class: "PerHostDownload-UploadRatioAnalysis"},
	{ID: "D3-PM", Name: "Platform Monitoring", Class: "PlatformMonitoring"},
	{ID: "D3-RAPA", Name: "Resource Access Pattern Analysis", Parent: "D3-UBA", Class: "ResourceAccessPatternAnalysis"},
	{ID: "D3-RTSD", Name: "Remote Terminal Session Detection", Parent: "D3-NTA", Class: "RemoteTerminalSessionDetection"},
	{ID: "D3-SJA", Name: "Scheduled Job Analysis", Parent: "D3-OSM", Class: "ScheduledJobAnalysis"},
	{ID: "D3-SWI", Name: "Software Inventory", Parent: "D3-AI", Class: "SoftwareInventory"},
	{ID: "D3-UAP", Name: "User Account Permissions", Parent: "D3-APA", Class: "UserAccountPermissions"},
	{ID: "D3-UBA", Name: "User Behavior Analysis", Class: "UserBehaviorAnalysis"},
	{ID: "D3-UGLPA", Name: "User Geolocation Logon Pattern Analysis", Parent: "D3-UBA", Class: "UserGeolocationLogonPatternAnalysis"},
}

// Builtin returns a new Catalog holding the built-in table. Each call returns
// a fresh Catalog, so callers may Merge into it.
func Builtin() *Catalog {
	c := newCatalog()
	for _, t := range builtinTechniques {
		c.techniques[t.ID] = t
	}
	for _, m := range builtinCountermeasures {
		c.countermeasures[m.ID] = m
	}
	return c
}

// Package simulate generates a synthetic hospital network and writes what a
// Zeek sensor on it would log: conn, dhcp, dns, ssl, x509, software,
// known_hosts and known_services, plus truth.json, the ground truth of every
// device (MAC, addresses held over time, hostname, class, vendor, model,
// firmware, profile).
//
// It owns the device catalog (catalog.go: profiles written from public facts
// such as IEEE OUI assignments, IANA ports and vendor-documented domains), the
// hospital layout (zones, servers, DHCP leases), the hour-by-hour traffic
// generator and the hook through which labelled scenarios inject events.
//
// Output depends only on Options: the same options give byte-identical files,
// whatever the wall clock or the number of workers (on one CPU architecture:
// Go's math functions may round differently on another). It streams:
// events are generated, sorted and written one event-time hour at a time, so
// memory does not grow with the length of the run.
//
// It must not read the network or the wall clock, must not write outside the
// directory it is given, and must not encode log formats itself: every record
// goes through the Zeek writer of internal/ingest/zeek.
package simulate

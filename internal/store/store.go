// Package store persists Vigil's state — the device inventory, IP↔MAC
// leases and per-source ingest checkpoints — behind one interface with two
// backends: SQLite (embedded, the default) and PostgreSQL (shared state for
// several workers).
//
// Writes happen only through Commit, which applies a whole Batch in one
// transaction: the state a batch of input produced and the checkpoint that
// says how far that input was read land together or not at all. That is
// what makes ingestion exactly-once in effect.
//
// The package must not know how state is derived; it stores what it is given.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/vigil-iomt/vigil/internal/asset"
)

// ErrNotFound is returned when a requested object does not exist.
var ErrNotFound = errors.New("not found")

// Store is the persistence interface every backend implements.
type Store interface {
	// Commit applies a batch atomically.
	Commit(ctx context.Context, b *Batch) error

	// Device returns one device by ID, or ErrNotFound.
	Device(ctx context.Context, id string) (asset.Device, error)
	// Devices returns the devices matching q, ordered by ID.
	Devices(ctx context.Context, q DeviceQuery) ([]asset.Device, error)
	// Leases returns every stored lease, ordered by MAC, IP, start.
	Leases(ctx context.Context) ([]asset.Lease, error)

	// Checkpoint returns the checkpoint of a source by its path, or ErrNotFound.
	Checkpoint(ctx context.Context, source string) (Checkpoint, error)
	// CheckpointByHead returns a checkpoint whose head hash and length equal
	// the given ones (a file renamed or compressed by rotation), or ErrNotFound.
	CheckpointByHead(ctx context.Context, headHash string, headLen int) (Checkpoint, error)
	// Checkpoints returns every checkpoint, ordered by source.
	Checkpoints(ctx context.Context) ([]Checkpoint, error)

	Close() error
}

// Batch is a set of changes applied in one transaction.
type Batch struct {
	// Devices are inserted or replaced whole, by ID.
	Devices []asset.Device
	// DeleteDevices are IDs of devices removed (merged into another).
	DeleteDevices []string
	// Leases are inserted or replaced by (MAC, IP, Start).
	Leases []asset.Lease
	// Checkpoints are inserted or replaced by Source.
	Checkpoints []Checkpoint
}

// Empty reports whether the batch holds no change.
func (b *Batch) Empty() bool {
	return len(b.Devices) == 0 && len(b.DeleteDevices) == 0 && len(b.Leases) == 0 && len(b.Checkpoints) == 0
}

// DeviceQuery filters Devices. Zero values do not filter.
type DeviceQuery struct {
	Class string
	Limit int
}

// Checkpoint records how far a source has been read.
type Checkpoint struct {
	// Source is the path the file was read from.
	Source string
	// HeadHash is the hex SHA-256 of the first HeadLen bytes of the
	// decompressed content; it tells a grown file from a replaced one.
	HeadHash string
	HeadLen  int
	// Offset is the decompressed byte offset up to which every record has
	// been applied.
	Offset int64
	// Line is the number of lines consumed up to Offset.
	Line int64
	// Records and Rejected count what was accepted and rejected so far.
	Records  int64
	Rejected int64
	Updated  time.Time
}

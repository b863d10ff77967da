package zeek

import (
	"fmt"

	"github.com/valyala/fastjson"

	"github.com/vigil-iomt/vigil/internal/event"
)

// parseJSON parses one line of a Zeek JSON log: an object whose keys are
// the column names ("id.orig_h"); nested objects ({"id": {"orig_h": ...}})
// are flattened with dots.
func (r *Reader) parseJSON(line []byte, pos event.Position) (Record, error) {
	rec := Record{Path: r.opts.Path, Pos: pos}
	v, err := r.jp.ParseBytes(line)
	if err != nil {
		rec.Path = r.pathGuess()
		return rec, &RecordError{Pos: pos, Err: fmt.Errorf("%w: %v", ErrBadJSON, err)}
	}
	o, err := v.Object()
	if err != nil {
		rec.Path = r.pathGuess()
		return rec, &RecordError{Pos: pos, Err: fmt.Errorf("%w: not an object", ErrBadJSON)}
	}
	if rec.Path == "" {
		if pv := o.Get("_path"); pv != nil && pv.Type() == fastjson.TypeString {
			b, _ := pv.StringBytes()
			rec.Path = r.internBytes(b)
		}
		if rec.Path == "" {
			rec.Path = r.defaultPath
		}
	}
	jb := r.jsonBinding(rec.Path)
	if jb == nil {
		if tv := o.Get("ts"); tv != nil {
			val := value{jv: tv}
			if _, err := r.time(&val); err != nil {
				return rec, fieldError(pos, "ts", err)
			}
		}
		return rec, nil
	}
	ev := r.startEvent(jb.kind)
	r.jb, r.jerr = jb, nil
	r.visit(o, nil)
	if r.jerr != nil {
		r.abortStrings()
		return rec, &RecordError{Pos: pos, Err: r.jerr}
	}
	if !r.hasTS {
		r.abortStrings()
		return rec, &RecordError{Pos: pos, Err: ErrMissingTS}
	}
	r.finishEvent()
	r.finishStrings()
	rec.Event = ev
	return rec, nil
}

// visit sets the fields of o's keys; prefix is the dotted name of o when it
// is nested.
func (r *Reader) visit(o *fastjson.Object, prefix []byte) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		if r.jerr != nil {
			return
		}
		key := k
		if prefix != nil {
			key = make([]byte, 0, len(prefix)+1+len(k))
			key = append(append(append(key, prefix...), '.'), k...)
		}
		if v.Type() == fastjson.TypeObject {
			obj, _ := v.Object()
			if prefix == nil {
				key = append([]byte(nil), k...)
			}
			r.visit(obj, key)
			return
		}
		i := r.jb.lookup(key)
		if i < 0 {
			return
		}
		r.v = value{jv: v}
		if err := r.set(&r.jb.targets[i], &r.v); err != nil {
			r.jerr = fmt.Errorf("%s: %w", key, err)
		}
	})
}

// jsonBinding maps the column names of one log type to targets in this
// Reader's events.
type jsonBinding struct {
	kind    event.Kind
	targets []target
	// slots is an open-addressing table of the column names: cheaper than
	// a map for the ~20 short keys of a line, most of which hit.
	slots [128]keySlot
}

type keySlot struct {
	key string
	idx int // into targets; -1 for an empty slot
}

func keyHash(k []byte) int {
	if len(k) == 0 {
		return 0
	}
	return (len(k)*31 + int(k[0])*7 + int(k[len(k)/2])*3 + int(k[len(k)-1])*13) & 127
}

// lookup returns the target index of a column name, or -1.
func (jb *jsonBinding) lookup(k []byte) int {
	for h := keyHash(k); ; h = (h + 1) & 127 {
		s := &jb.slots[h]
		if s.idx < 0 {
			return -1
		}
		if s.key == string(k) {
			return s.idx
		}
	}
}

// jsonBinding returns the binding for a log type, nil when Vigil does not
// model it.
func (r *Reader) jsonBinding(path string) *jsonBinding {
	if jb, ok := r.jbind[path]; ok {
		return jb
	}
	var jb *jsonBinding
	if sch := schemas[path]; sch != nil {
		jb = &jsonBinding{kind: sch.kind}
		for i := range jb.slots {
			jb.slots[i].idx = -1
		}
		for name, mk := range sch.cols {
			h := keyHash([]byte(name))
			for jb.slots[h].idx >= 0 {
				h = (h + 1) & 127
			}
			jb.slots[h] = keySlot{key: name, idx: len(jb.targets)}
			jb.targets = append(jb.targets, mk(r))
		}
	}
	if r.jbind == nil {
		r.jbind = make(map[string]*jsonBinding)
	}
	if len(r.jbind) < maxInterned {
		r.jbind[path] = jb
	}
	return jb
}

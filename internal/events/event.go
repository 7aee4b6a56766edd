package events

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// Event is the JSON body of one webhook request. Fields that do not apply
// to a kind are left out.
type Event struct {
	// ID is unique per event and the same on every attempt to deliver
	// it: delivery is at least once, so receivers deduplicate on it.
	ID      string    `json:"id"`
	Kind    string    `json:"kind"`
	Time    time.Time `json:"time"`
	Session string    `json:"session_id"`
	User    string    `json:"user"`
	Client  string    `json:"client_address"`
	Command string    `json:"command"`
	Path    string    `json:"path,omitempty"`
	// Backend, Bucket and Key say where Path is stored.
	Backend string `json:"backend,omitempty"`
	Bucket  string `json:"bucket,omitempty"`
	Key     string `json:"key,omitempty"`
	// ToPath and ToKey are a rename's target.
	ToPath     string `json:"to_path,omitempty"`
	ToKey      string `json:"to_key,omitempty"`
	Size       *int64 `json:"size,omitempty"`
	DurationMS *int64 `json:"duration_ms,omitempty"`
	// Checksums are an upload's digests by algorithm, hex, where the
	// server computed them on the stream.
	Checksums map[string]string `json:"checksums,omitempty"`
	Reason    string            `json:"reason,omitempty"`
	Reply     string            `json:"reply,omitempty"`
}

// locator is implemented by mapping.Session: where a virtual path is
// stored.
type locator interface {
	Locate(vpath string) (mapping.Location, bool)
}

var _ locator = (*mapping.Session)(nil)

// fromFTPS builds the webhook body of a front-end event.
func fromFTPS(ev ftps.Event) Event {
	out := Event{
		ID: newID(), Kind: ev.Kind, Time: ev.Time, Session: ev.Session, User: ev.User,
		Client: ev.RemoteAddr, Command: ev.Command, Path: ev.Path, ToPath: ev.To,
		Reason: ev.Reason, Reply: ev.Reply, Checksums: ev.Checksums,
	}
	switch ev.Kind {
	case ftps.EventUpload, ftps.EventUploadFailed, ftps.EventDownload:
		size, ms := ev.Bytes, ev.Duration.Milliseconds()
		out.Size, out.DurationMS = &size, &ms
	}
	if loc, ok := ev.FS.(locator); ok && ev.Path != "" {
		if where, ok := loc.Locate(ev.Path); ok {
			out.Backend, out.Bucket, out.Key = where.Backend, where.Bucket, where.Key
		}
		if to, ok := loc.Locate(ev.To); ok && ev.To != "" {
			out.ToKey = to.Key
		}
	}
	return out
}

// newID returns a random version 4 UUID.
func newID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics instead)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// item is one event queued for one target: its encoded body, kept as
// bytes so that memory, disk and the wire hold the same thing.
type item struct {
	id, kind string
	body     []byte
}

func encode(ev Event) item {
	body, _ := json.Marshal(ev) // plain strings and numbers: cannot fail
	return item{id: ev.ID, kind: ev.Kind, body: body}
}

// decode reads back a spooled body.
func decode(body []byte) (item, error) {
	var head struct{ ID, Kind string }
	if err := json.Unmarshal(body, &head); err != nil {
		return item{}, err
	}
	return item{id: head.ID, kind: head.Kind, body: body}, nil
}

package mapping

import (
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/backends/memory"
)

// TestLocate: a logged-in session says which backend, bucket and key
// hold a virtual path, per mount; paths above the mounts or invalid have
// no location.
func TestLocate(t *testing.T) {
	u := mountUser(t)
	users, err := New([]UserConfig{u}, map[string]backends.Backend{"mem": memory.New(), "s3": memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := login(users, "acme", "pw")
	if err != nil {
		t.Fatal(err)
	}
	s := fs.(*Session)
	tests := []struct {
		path string
		want Location
		ok   bool
	}{
		{"/inbound/a.csv", Location{Backend: "mem", Bucket: "drop", Key: "acme/a.csv"}, true},
		{"/outbound/x/y.pdf", Location{Backend: "s3", Bucket: "reports", Key: "acme/x/y.pdf"}, true},
		{"/inbound/../outbound/z", Location{Backend: "s3", Bucket: "reports", Key: "acme/z"}, true},
		{"/", Location{}, false},
		{"/elsewhere/f", Location{}, false},
		{"/inbound/bad\x00name", Location{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			got, ok := s.Locate(tc.path)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("Locate(%q) = %+v, %v; want %+v, %v", tc.path, got, ok, tc.want, tc.ok)
			}
		})
	}
}

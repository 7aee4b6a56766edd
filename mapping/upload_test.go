package mapping

import (
	"strings"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

func TestCreateResume(t *testing.T) {
	tests := []struct {
		name     string
		perm     Perm
		existing string // "" for no file
		offset   int64
		data     string
		want     string // stored afterwards; "" with wantErr means unchanged
		wantErr  error
	}{
		{"new file", PermUpload, "", 0, "abc", "abc", nil},
		{"resume middle", PermUpload | PermOverwrite, "0123456789", 4, "xyz", "0123xyz", nil},
		{"append at end", PermUpload | PermOverwrite, "0123", 4, "45", "012345", nil},
		{"resume large", PermUpload | PermOverwrite, strings.Repeat("z", 300000), 250000, "!",
			strings.Repeat("z", 250000) + "!", nil},
		{"overwrite from zero", PermUpload | PermOverwrite, "old", 0, "new", "new", nil},
		{"offset past end", PermUpload | PermOverwrite, "0123", 5, "x", "", backends.ErrInvalid},
		{"offset on missing file", PermUpload | PermOverwrite, "", 1, "x", "", backends.ErrInvalid},
		{"negative offset", PermUpload | PermOverwrite, "0123", -1, "x", "", backends.ErrInvalid},
		{"resume needs overwrite", PermUpload, "0123", 2, "x", "", backends.ErrPermission},
		{"resume of missing needs overwrite too", PermUpload, "", 2, "x", "", backends.ErrPermission},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := testBucket(t, newTestBackend(), "")
			if tc.existing != "" {
				put(t, b, "u/f", tc.existing)
			}
			s := session(t, b, "u", tc.perm)
			err := upload(s, "/f", tc.offset, tc.data)
			wantErr(t, "upload", err, tc.wantErr)
			got, ok := get(t, b, "u/f")
			want := tc.want
			if tc.wantErr != nil {
				want = tc.existing
			}
			if got != want || ok != (want != "") {
				t.Fatalf("stored %d bytes %.20q (exists %v), want %d bytes %.20q", len(got), got, ok, len(want), want)
			}
		})
	}
}

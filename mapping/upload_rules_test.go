package mapping

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/ftps"
)

func rulesUser(t *testing.T, edit func(*UserConfig)) (ftps.FileSystem, *recordingBucket) {
	t.Helper()
	be := newTestBackend()
	uc := UserConfig{Name: "acme", PasswordHash: testBcrypt(t, "pw"), Backend: "mem", Bucket: "b",
		Prefix: "acme", Permissions: []string{"*"}}
	edit(&uc)
	fs, err := login(testUsers(t, be, uc), "acme", "pw")
	if err != nil {
		t.Fatal(err)
	}
	return fs, testBucket(t, be, "b")
}

func TestUploadMaxBytes(t *testing.T) {
	ctx := context.Background()
	fs, b := rulesUser(t, func(u *UserConfig) { u.UploadMaxBytes = 10 })

	wantErr(t, "at the limit", upload(fs, "/ten", 0, "0123456789"), nil)

	// One byte over, in one write or across several: the write fails and
	// nothing is stored, even if the caller tries to commit anyway.
	for _, chunks := range [][]string{{"0123456789x"}, {"01234", "56789", "x"}} {
		w, err := fs.Create(ctx, "/big", 0, backends.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var werr error
		for _, c := range chunks {
			if _, werr = io.WriteString(w, c); werr != nil {
				break
			}
		}
		if !errors.Is(werr, backends.ErrFileTooLarge) || !errors.Is(werr, backends.ErrQuota) {
			t.Fatalf("write past the limit: %v", werr)
		}
		if _, err := io.WriteString(w, "more"); !errors.Is(err, backends.ErrFileTooLarge) {
			t.Fatalf("write after the limit: %v", err)
		}
		if err := w.Commit(); !errors.Is(err, backends.ErrFileTooLarge) {
			t.Fatalf("commit after the limit: %v", err)
		}
		_ = w.Abort()
		if _, ok := get(t, b, "acme/big"); ok {
			t.Fatal("an upload past the limit was stored")
		}
	}

	// A resume counts the bytes already stored.
	wantErr(t, "resume to the limit", upload(fs, "/ten", 10, ""), nil)
	wantErr(t, "resume past the limit", upload(fs, "/ten", 5, "0123456"), backends.ErrFileTooLarge)
	if data, _ := get(t, b, "acme/ten"); data != "0123456789" {
		t.Fatalf("failed resume changed the file to %q", data)
	}
	_, err := fs.Create(ctx, "/ten", 11, backends.CreateOptions{})
	wantErr(t, "resume offset past the limit", err, backends.ErrFileTooLarge)
}

func TestUploadPatterns(t *testing.T) {
	ctx := context.Background()
	fs, b := rulesUser(t, func(u *UserConfig) {
		u.AllowedPatterns = []string{"*.csv", "*.xml"}
		u.DeniedPatterns = []string{"secret*"}
	})
	for name, ok := range map[string]bool{
		"/a.csv": true, "/A.CSV": true, "/dir/b.xml": true, "/c.txt": false, "/csv": false,
		"/secret.csv": false, "/SECRET-2.xml": false, "/a.csv.exe": false,
	} {
		err := upload(fs, name, 0, "x")
		if ok {
			wantErr(t, "upload "+name, err, nil)
		} else {
			wantErr(t, "upload "+name, err, backends.ErrInvalid)
		}
	}
	// A rename cannot store a name that an upload could not.
	wantErr(t, "rename to a denied name", fs.Rename(ctx, "/a.csv", "/a.exe"), backends.ErrInvalid)
	wantErr(t, "rename to an allowed name", fs.Rename(ctx, "/a.csv", "/b.csv"), nil)
	// Directories are made and renamed freely; their files keep their names.
	wantErr(t, "mkdir", fs.Mkdir(ctx, "/incoming"), nil)
	wantErr(t, "rename a directory", fs.Rename(ctx, "/dir", "/done"), nil)
	if _, ok := get(t, b, "acme/done/b.xml"); !ok {
		t.Fatal("directory rename lost its file")
	}
	if _, ok := get(t, b, "acme/a.exe"); ok {
		t.Fatal("denied rename happened")
	}

	deny, _ := rulesUser(t, func(u *UserConfig) { u.DeniedPatterns = []string{"*.exe", ".*"} })
	wantErr(t, "deny only: other names", upload(deny, "/x.bin", 0, "x"), nil)
	wantErr(t, "deny only: *.exe", upload(deny, "/x.EXE", 0, "x"), backends.ErrInvalid)
	wantErr(t, "deny only: dot file", upload(deny, "/.htaccess", 0, "x"), backends.ErrInvalid)
	if err := upload(deny, "/x.exe", 0, "x"); err == nil || !strings.Contains(err.Error(), "denied pattern") {
		t.Fatalf("error does not say why: %v", err)
	}
}

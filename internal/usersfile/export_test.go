package usersfile

import "os"

// FailSync and FailRename make the write's fsync or rename fail with err
// until restore is called; for the external tests, which load with the
// real config package (which imports this one through admin).
func FailSync(err error) (restore func()) {
	syncFile = func(*os.File) error { return err }
	return func() { syncFile = (*os.File).Sync }
}

func FailRename(err error) (restore func()) {
	renameFile = func(string, string) error { return err }
	return func() { renameFile = os.Rename }
}

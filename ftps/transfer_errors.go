package ftps

// A data transfer can fail on either of its two sides: the client's data
// connection or the storage behind the session's FileSystem. Each failure
// is typed with its side where it happens (the one place that knows which
// side a reader or writer is), so that the reply, the log line, the metric
// and the event are chosen from the error alone (transferReply, in
// replies.go), never from the position of a return value. The cause stays
// wrapped: errors.Is and backends.Kind still see the storage sentinels.

// What a side was doing when it failed.
const (
	opOpen   = "open"   // the data connection could not be opened
	opRead   = "read"   // a read from the side failed
	opWrite  = "write"  // a write to the side failed
	opClose  = "close"  // closing the data connection of a download failed
	opEnd    = "end"    // an upload reached EOF but is not whole
	opList   = "list"   // listing the directory failed
	opCommit = "commit" // committing the upload failed
)

// networkError is a failure of the client's side: the data connection
// could not be opened, was cut or timed out, or an upload ended without
// being whole (errTruncated, errSizeMismatch).
type networkError struct {
	op  string
	err error
}

func (e *networkError) Error() string { return "data connection " + e.op + ": " + e.err.Error() }
func (e *networkError) Unwrap() error { return e.err }

// storageError is a failure of the storage side: the FileSystem's reader,
// writer or lister, or the commit of an upload. Its cause carries the
// backends classification that chooses the reply (451, 550, 552, ...). A
// store's own network trouble (a cut connection to S3) is a storageError:
// it is not the client's connection.
type storageError struct {
	op  string
	err error
}

func (e *storageError) Error() string { return "storage " + e.op + ": " + e.err.Error() }
func (e *storageError) Unwrap() error { return e.err }

// netFailed types err, when not nil, as the client's side's.
func netFailed(op string, err error) error {
	if err == nil {
		return nil
	}
	return &networkError{op: op, err: err}
}

// storageFailed types err, when not nil, as the storage side's.
func storageFailed(op string, err error) error {
	if err == nil {
		return nil
	}
	return &storageError{op: op, err: err}
}

// flow is the direction of a copy, which decides whose failure a read or
// a write error is.
type flow int

const (
	// toClient is a download: storage is read, the data connection
	// written.
	toClient flow = iota
	// fromClient is an upload: the data connection is read, storage
	// written.
	fromClient
)

func (f flow) readFailed(err error) error {
	if f == fromClient {
		return netFailed(opRead, err)
	}
	return storageFailed(opRead, err)
}

func (f flow) writeFailed(err error) error {
	if f == fromClient {
		return storageFailed(opWrite, err)
	}
	return netFailed(opWrite, err)
}

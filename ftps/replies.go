package ftps

import (
	"context"
	"errors"

	"github.com/ftpsbridge/ftpsbridge/backends"
)

// Reply codes, with the RFC that defines each use.
const (
	codeRestartMarker   = 110 // RFC 959
	codeFileStatusOK    = 150 // RFC 959: about to open data connection
	codeOK              = 200 // RFC 959
	codeNotNeeded       = 202 // RFC 959: command superfluous (ALLO)
	codeSystemStatus    = 211 // RFC 959, RFC 2389 (FEAT)
	codeDirStatus       = 212 // RFC 959
	codeFileStatus      = 213 // RFC 959, RFC 3659 (SIZE, MDTM)
	codeHelp            = 214 // RFC 959
	codeSystemType      = 215 // RFC 959
	codeReady           = 220 // RFC 959
	codeClosing         = 221 // RFC 959
	codeNoTransfer      = 225 // RFC 959: data connection open, no transfer
	codeTransferDone    = 226 // RFC 959
	codePassive         = 227 // RFC 959
	codeExtPassive      = 229 // RFC 2428
	codeLoggedIn        = 230 // RFC 959
	codeCertLoggedIn    = 232 // RFC 2228, RFC 4217 section 11: logged in by the security exchange
	codeAuthOK          = 234 // RFC 4217
	codeFileOK          = 250 // RFC 959
	codePathCreated     = 257 // RFC 959
	codeNeedPassword    = 331 // RFC 959
	codePending         = 350 // RFC 959 (REST, RNFR)
	codeUnavailable     = 421 // RFC 959: service closing control connection
	codeCantOpenData    = 425 // RFC 959
	codeTransferAborted = 426 // RFC 959
	codeLocalError      = 451 // RFC 959
	codeSyntaxError     = 500 // RFC 959
	codeBadArguments    = 501 // RFC 959
	codeNotImplemented  = 502 // RFC 959
	codeBadSequence     = 503 // RFC 959
	codeBadParameter    = 504 // RFC 959: not implemented for that parameter
	codeBadProtocol     = 522 // RFC 2428: network protocol not supported
	codeNotLoggedIn     = 530 // RFC 959
	codeProtRequired    = 521 // RFC 4217: not allowed at this PROT level
	codePolicyDenied    = 534 // RFC 4217
	codeProtUnsupported = 536 // RFC 4217
	codeFileUnavailable = 550 // RFC 959
	codeExceededStorage = 552 // RFC 959
	codeBadFileName     = 553 // RFC 959
	codeBadRestart      = 554 // RFC 3659: invalid REST parameter
)

// errorReply maps an error from the file system to the reply a client
// sees. This is the one place where storage errors become FTP replies: the
// message is fixed per class and never includes err's text, which may name
// buckets, prefixes or credentials.
func errorReply(err error) (int, string) {
	switch {
	case errors.Is(err, backends.ErrCrossMount):
		return codeFileUnavailable, "Cannot rename between different mounts; upload the file again instead."
	case errors.Is(err, backends.ErrFileTooLarge):
		return codeExceededStorage, "File exceeds the upload size limit; nothing was stored."
	}
	switch backends.Kind(err) {
	case backends.ErrNotExist:
		return codeFileUnavailable, "No such file or directory."
	case backends.ErrPermission:
		return codeFileUnavailable, "Permission denied."
	case backends.ErrExist:
		return codeFileUnavailable, "File or directory already exists."
	case backends.ErrNotEmpty:
		return codeFileUnavailable, "Directory not empty."
	case backends.ErrIsDir:
		return codeFileUnavailable, "Is a directory."
	case backends.ErrNotDir:
		return codeFileUnavailable, "Not a directory."
	case backends.ErrInvalid:
		return codeBadFileName, "File name not allowed."
	case backends.ErrUnsupported:
		return codeFileUnavailable, "Not supported by this storage (directory renames are off here, or this directory holds too many files)."
	case backends.ErrQuota:
		return codeExceededStorage, "Storage quota exceeded."
	case backends.ErrTransient:
		return codeLocalError, "Storage temporarily unavailable; try again later."
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return codeLocalError, "Operation interrupted."
	}
	return codeLocalError, "Requested action aborted: local error in processing."
}

// transferReply chooses the reply that ends a data transfer, and the
// result that its log line, metric and event report, from the transfer's
// error alone: the side that failed is the error's type
// (transfer_errors.go), the storage cause its backends class. A nil error
// is success, whose text (job.done) the caller supplies.
func transferReply(err error) (code int, msg, result string) {
	var (
		network *networkError
		storage *storageError
	)
	switch {
	case err == nil:
		return codeTransferDone, "", "ok"
	case errors.Is(err, errAborted):
		// ABOR, a kick or a shutdown: whatever else failed after it
		// was caused by it.
		return codeTransferAborted, "Transfer aborted.", "aborted"
	case errors.As(err, &network):
		switch {
		case network.op == opOpen:
			return codeCantOpenData, "Cannot open data connection.", "no data connection"
		case network.op == opEnd && errors.Is(err, errSizeMismatch):
			return codeLocalError, "Upload incomplete: received size differs from ALLO; nothing stored.", "incomplete upload"
		case network.op == opEnd:
			return codeLocalError, "Upload incomplete: the data connection closed without TLS close_notify; nothing stored.", "incomplete upload"
		}
		return codeTransferAborted, "Data connection closed; transfer aborted.", "connection lost"
	case errors.As(err, &storage) && storage.op == opCommit:
		code, msg = errorReply(err)
		return code, msg, "commit failed"
	}
	// A storageError, or any failure not the client's: the server's side.
	code, msg = errorReply(err)
	return code, msg, "storage error"
}

// Replies that end a session before or at login.
const (
	msgBanned       = "Too many failed logins from your address; try again later."
	msgRevoked      = "Your login is no longer valid; closing connection."
	msgSessionLimit = "Too many sessions for this user; try again later."
	msgBusy         = "Service busy; try again later."
	// msgAuthUnavailable: the identity provider gave no usable answer.
	msgAuthUnavailable = "Login service unavailable; try again later."
)

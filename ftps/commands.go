package ftps

import (
	"errors"
	"strings"
)

// command is one entry of the command table.
type command struct {
	handle func(s *session, arg string)
	// login: the command needs a logged-in user.
	login bool
	// arg: the command needs an argument (501 without one).
	arg bool
	// concurrent: the command is answered while a transfer runs (RFC 959
	// section 4.1.3 lists ABOR, STAT, QUIT; NOOP is harmless). Any other
	// command waits for the transfer to end.
	concurrent bool
}

var commands map[string]command

func init() {
	// Declared in init to break the initialisation cycle through HELP,
	// which lists this table.
	commands = map[string]command{
		// Access control (RFC 959 4.1.1, RFC 4217).
		"USER": {handle: (*session).handleUSER, arg: true},
		"PASS": {handle: (*session).handlePASS},
		"AUTH": {handle: (*session).handleAUTH, arg: true},
		"PBSZ": {handle: (*session).handlePBSZ, arg: true},
		"PROT": {handle: (*session).handlePROT, arg: true},
		"CCC":  {handle: (*session).handleCCC},
		"QUIT": {handle: (*session).handleQUIT, concurrent: true},
		"REIN": {handle: (*session).handleREIN},
		"ACCT": {handle: (*session).handleACCT},

		// Session parameters and information.
		"FEAT": {handle: (*session).handleFEAT},
		"OPTS": {handle: (*session).handleOPTS, arg: true},
		"SYST": {handle: (*session).handleSYST},
		"NOOP": {handle: (*session).handleNOOP, concurrent: true},
		"HELP": {handle: (*session).handleHELP},
		"STAT": {handle: (*session).handleSTAT, concurrent: true},
		"SITE": {handle: (*session).handleSITE, login: true, arg: true},
		"TYPE": {handle: (*session).handleTYPE, login: true, arg: true},
		"MODE": {handle: (*session).handleMODE, login: true, arg: true},
		"STRU": {handle: (*session).handleSTRU, login: true, arg: true},
		"ALLO": {handle: (*session).handleALLO, login: true},

		// Directories.
		"PWD":  {handle: (*session).handlePWD, login: true},
		"XPWD": {handle: (*session).handlePWD, login: true},
		"CWD":  {handle: (*session).handleCWD, login: true, arg: true},
		"XCWD": {handle: (*session).handleCWD, login: true, arg: true},
		"CDUP": {handle: (*session).handleCDUP, login: true},
		"XCUP": {handle: (*session).handleCDUP, login: true},
		"MKD":  {handle: (*session).handleMKD, login: true, arg: true},
		"XMKD": {handle: (*session).handleMKD, login: true, arg: true},
		"RMD":  {handle: (*session).handleRMD, login: true, arg: true},
		"XRMD": {handle: (*session).handleRMD, login: true, arg: true},
		"MLST": {handle: (*session).handleMLST, login: true},

		// Files.
		"DELE": {handle: (*session).handleDELE, login: true, arg: true},
		"RNFR": {handle: (*session).handleRNFR, login: true, arg: true},
		"RNTO": {handle: (*session).handleRNTO, login: true, arg: true},
		"SIZE": {handle: (*session).handleSIZE, login: true, arg: true},
		"MDTM": {handle: (*session).handleMDTM, login: true, arg: true},
		"REST": {handle: (*session).handleREST, login: true, arg: true},
		"MFMT": {handle: (*session).handleMFMT, login: true, arg: true},

		// Digests (draft-bryan-ftpext-hash, and the older X commands).
		"HASH":    {handle: (*session).handleHASH, login: true, arg: true},
		"XSHA256": {handle: hashVerb("sha256"), login: true, arg: true},
		"XSHA1":   {handle: hashVerb("sha1"), login: true, arg: true},
		"XMD5":    {handle: hashVerb("md5"), login: true, arg: true},
		"XCRC":    {handle: hashVerb("crc32"), login: true, arg: true},

		// Data connections (RFC 959, RFC 2428).
		"PASV": {handle: (*session).handlePASV, login: true},
		"EPSV": {handle: (*session).handleEPSV, login: true},
		"PORT": {handle: (*session).handlePORT, login: true, arg: true},
		"EPRT": {handle: (*session).handleEPRT, login: true, arg: true},
		"ABOR": {handle: (*session).handleABOR, concurrent: true},

		// Transfers.
		"RETR": {handle: (*session).handleRETR, login: true, arg: true},
		"STOR": {handle: (*session).handleSTOR, login: true, arg: true},
		"STOU": {handle: (*session).handleSTOU, login: true},
		"APPE": {handle: (*session).handleAPPE, login: true, arg: true},
		"LIST": {handle: (*session).handleLIST, login: true},
		"NLST": {handle: (*session).handleNLST, login: true},
		"MLSD": {handle: (*session).handleMLSD, login: true},
	}
}

// parseCommand splits a command line into its upper-cased verb and its
// argument. The argument is kept verbatim after the single separating
// space: file names may begin or end with spaces.
func parseCommand(line string) (verb, arg string) {
	verb, arg, _ = strings.Cut(line, " ")
	return strings.ToUpper(verb), arg
}

// dispatch runs one command line and reports whether the session ends.
func (s *session) dispatch(line string) (quit bool) {
	verb, arg := parseCommand(line)
	if verb == "PASS" {
		s.log.Debug("command", "verb", verb)
	} else {
		s.log.Debug("command", "verb", verb, "arg", arg)
	}
	cmd, ok := commands[verb]
	s.noteCommand(verb)
	if ok && !cmd.concurrent {
		s.waitTransfer()
	}
	if s.fs != nil && s.revoked() {
		s.abortTransfer()
		s.reply(codeUnavailable, msgRevoked)
		s.endReason = "login revoked"
		return true
	}
	if !ok {
		s.reply(codeNotImplemented, "Command not implemented.")
		return false
	}
	if verb != "RNTO" && verb != "RNFR" {
		s.renameSrc = ""
	}
	switch {
	case cmd.login && s.fs == nil:
		s.reply(codeNotLoggedIn, "Please log in with USER and PASS.")
	case cmd.arg && strings.TrimSpace(arg) == "":
		s.reply(codeBadArguments, "Syntax error: "+verb+" needs an argument.")
	default:
		s.dropUnusedPassive(verb)
		cmd.handle(s, arg)
	}
	return s.quitting
}

// lineTooLong answers a read error that was a command line too long (500)
// and reports whether it was one: the session then goes on, while any
// other read error ends it.
func (s *session) lineTooLong(err error) bool {
	if errors.Is(err, errLineTooLong) {
		s.reply(codeSyntaxError, "Command line too long.")
		return true
	}
	return false
}

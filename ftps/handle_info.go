package ftps

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// features is the FEAT reply body (RFC 2389). lftp uses MLSD because MLST
// is advertised; curl relies on EPSV, SIZE and REST STREAM.
var features = []string{
	"AUTH TLS",
	"AUTH SSL",
	"PBSZ",
	"PROT",
	"UTF8",
	"EPSV",
	"EPRT",
	"PASV",
	"SIZE",
	"MDTM",
	"REST STREAM",
	"TVFS",
	"MLST type*;size*;modify*;perm*;",
	"MFMT",
}

func (s *session) handleFEAT(string) {
	var b strings.Builder
	b.WriteString("Features:\n")
	for _, f := range features {
		b.WriteString(" " + f + "\n")
	}
	b.WriteString(" " + hashFeature(s.selectedHash().feat) + "\n")
	b.WriteString("End")
	s.reply(codeSystemStatus, b.String())
}

func (s *session) handleOPTS(arg string) {
	name, value, _ := strings.Cut(strings.TrimSpace(arg), " ")
	switch strings.ToUpper(name) {
	case "UTF8", "UTF-8":
		// Names are always UTF-8 (RFC 2640); OFF is accepted and ignored.
		s.reply(codeOK, "UTF8 mode enabled.")
	case "MLST":
		s.setMLSTFacts(value)
	case "HASH":
		s.optsHash(value)
	default:
		s.reply(codeBadArguments, "Option not recognised.")
	}
}

// setMLSTFacts implements OPTS MLST (RFC 3659 section 7.9).
func (s *session) setMLSTFacts(value string) {
	facts := map[string]bool{}
	var names []string
	for _, f := range strings.Split(value, ";") {
		f = strings.ToLower(strings.TrimSpace(f))
		switch f {
		case "type", "size", "modify", "perm":
			if !facts[f] {
				facts[f] = true
				names = append(names, f)
			}
		}
	}
	s.mlstFacts = facts
	s.reply(codeOK, "MLST OPTS "+strings.Join(names, ";")+appendSemicolon(len(names)))
}

func appendSemicolon(n int) string {
	if n == 0 {
		return ""
	}
	return ";"
}

func (s *session) handleSYST(string) {
	// Clients parse listings by this answer; ours are Unix ls -l style.
	s.reply(codeSystemType, "UNIX Type: L8")
}

func (s *session) handleNOOP(string) { s.reply(codeOK, "NOOP ok.") }

func (s *session) handleHELP(string) {
	verbs := make([]string, 0, len(commands))
	for v := range commands {
		verbs = append(verbs, v)
	}
	sort.Strings(verbs)
	var b strings.Builder
	b.WriteString("The following commands are recognized:\n")
	for i := 0; i < len(verbs); i += 8 {
		b.WriteString(" " + strings.Join(verbs[i:min(i+8, len(verbs))], " ") + "\n")
	}
	b.WriteString("Help OK.")
	s.reply(codeHelp, b.String())
}

// handleSTAT without an argument reports the session (and a running
// transfer); with one it lists a path over the control connection.
func (s *session) handleSTAT(arg string) {
	if strings.TrimSpace(arg) != "" && s.fs != nil && !s.transferRunning() {
		s.statPath(arg)
		return
	}
	var b strings.Builder
	b.WriteString("ftpsbridge status:\n")
	fmt.Fprintf(&b, "Connected from %s\n", remoteIP(s.conn.RemoteAddr()))
	if s.fs != nil {
		fmt.Fprintf(&b, "Logged in as %s\n", sanitize(s.user))
	} else {
		b.WriteString("Not logged in\n")
	}
	fmt.Fprintf(&b, "TLS on control connection: %t; data protection: %s\n", s.secure, map[bool]string{true: "private", false: "clear"}[s.protP])
	fmt.Fprintf(&b, "TYPE: %s; STRUcture: File; transfer MODE: Stream\n", map[bool]string{true: "ASCII", false: "BINARY"}[s.ascii])
	if t := s.currentTransfer(); t != nil {
		fmt.Fprintf(&b, "Transfer in progress: %s %s, %d bytes so far\n", t.verb, sanitize(t.path), t.bytes.Load())
	}
	b.WriteString("End of status")
	s.reply(codeSystemStatus, b.String())
}

func (s *session) handleTYPE(arg string) {
	fields := strings.Fields(strings.ToUpper(arg))
	switch {
	case len(fields) >= 1 && fields[0] == "I",
		len(fields) == 2 && fields[0] == "L" && fields[1] == "8":
		s.ascii = false
		s.reply(codeOK, "Type set to I.")
	case len(fields) == 1 && fields[0] == "A",
		len(fields) == 2 && fields[0] == "A" && fields[1] == "N":
		s.ascii = true
		s.reply(codeOK, "Type set to A.")
	case len(fields) >= 1 && (fields[0] == "A" || fields[0] == "E" || fields[0] == "L"):
		s.reply(codeBadParameter, "Type not supported for this parameter.")
	default:
		s.reply(codeBadArguments, "Unknown type.")
	}
}

func (s *session) handleMODE(arg string) {
	if strings.EqualFold(strings.TrimSpace(arg), "S") {
		s.reply(codeOK, "Mode set to S.")
		return
	}
	s.reply(codeBadParameter, "Only stream mode (S) is supported.")
}

func (s *session) handleSTRU(arg string) {
	if strings.EqualFold(strings.TrimSpace(arg), "F") {
		s.reply(codeOK, "Structure set to F.")
		return
	}
	s.reply(codeBadParameter, "Only file structure (F) is supported.")
}

// handleALLO records the announced size; object stores need no
// allocation, so the reply says the command was superfluous.
func (s *session) handleALLO(arg string) {
	size, err := strconv.ParseInt(strings.Fields(arg + " 0")[0], 10, 64)
	if err != nil || size < 0 {
		s.reply(codeBadArguments, "ALLO needs a byte count.")
		return
	}
	s.allo = size
	s.reply(codeNotNeeded, "No storage allocation necessary.")
}

// handleSITE answers the SITE commands clients send on their own; lftp
// sends SITE UTIME after every upload, which object stores cannot honour
// (an object's time is its upload time), so it gets a clean 502.
func (s *session) handleSITE(arg string) {
	sub, _, _ := strings.Cut(strings.TrimSpace(arg), " ")
	switch strings.ToUpper(sub) {
	case "HELP":
		s.reply(codeHelp, "SITE commands: HELP.\nEnd of SITE help.")
	case "UTIME":
		s.siteUTIME(strings.TrimSpace(arg)[len(sub):])
	case "CHMOD", "CHOWN", "SYMLINK", "MFMT":
		s.reply(codeNotImplemented, "SITE "+strings.ToUpper(sub)+" not supported: object storage keeps its own metadata.")
	default:
		s.reply(codeNotImplemented, "Unknown SITE command.")
	}
}

// mdtmTime formats a time as RFC 3659 time-val, always UTC.
func mdtmTime(t time.Time) string { return t.UTC().Format("20060102150405") }

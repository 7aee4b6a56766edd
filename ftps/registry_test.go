package ftps

import (
	"log/slog"
	"net/netip"
	"testing"
	"time"
)

// TestRecentTransfersRing: the ring keeps the last recentTransfers,
// newest first, across wrap-around.
func TestRecentTransfersRing(t *testing.T) {
	s := &Server{}
	total := recentTransfers + 7
	for i := range total {
		s.reg.finished(FinishedTransfer{Bytes: int64(i)})
	}
	got := s.RecentTransfers()
	if len(got) != recentTransfers {
		t.Fatalf("kept %d, want %d", len(got), recentTransfers)
	}
	for i, f := range got {
		if want := int64(total - 1 - i); f.Bytes != want {
			t.Fatalf("entry %d is transfer %d, want %d", i, f.Bytes, want)
		}
	}
}

// TestBanListLift: an operator's ban is listed, refuses the address, and
// lifting it readmits the address.
func TestBanListLift(t *testing.T) {
	g := newLoginGuard(LoginFailuresConfig{Max: 5, Window: time.Minute, Ban: time.Minute}, slog.New(slog.DiscardHandler))
	s := &Server{guard: g}
	addr := netip.MustParseAddr("127.0.0.9")
	b, err := s.Ban(addr, time.Hour)
	if err != nil || b.Address != "127.0.0.9" {
		t.Fatalf("ban: %+v %v", b, err)
	}
	if !g.banned(addr) || len(s.Bans()) != 1 {
		t.Fatalf("not banned: %+v", s.Bans())
	}
	if !s.Unban("127.0.0.9") || g.banned(addr) || len(s.Bans()) != 0 {
		t.Fatal("lift did not readmit the address")
	}
	if s.Unban("127.0.0.9") {
		t.Fatal("a second lift reported a ban")
	}
	off := &Server{guard: newLoginGuard(LoginFailuresConfig{}, slog.New(slog.DiscardHandler))}
	if _, err := off.Ban(addr, time.Hour); err != ErrBansOff {
		t.Fatalf("ban with bans off: %v", err)
	}
}

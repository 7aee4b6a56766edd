package e2e

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/textproto"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jlaffaye/ftp"
)

// object is one upload a traffic client made: its content is
// randomData(size, seed), and acked says the client saw 226.
type object struct {
	size  int
	seed  uint64
	acked bool
}

// traffic is what a run of trafficClients did.
type traffic struct {
	transfers, retries, failures, corrupted, bytes atomic.Int64

	mu      sync.Mutex
	objects map[string]*object
	small   []time.Duration // round trips of files up to 64 KiB
	errs    []string
}

func (tr *traffic) fail(format string, args ...any) {
	tr.failures.Add(1)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.errs) < 10 {
		tr.errs = append(tr.errs, fmt.Sprintf(format, args...))
	}
}

// percentile of the small round trips, p in [0, 1].
func (tr *traffic) percentile(p float64) time.Duration {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.small) == 0 {
		return 0
	}
	s := slices.Clone(tr.small)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

// retryable says whether a client would try again: a 4xx reply (421 from
// a replica shutting down, 425/426 for a lost data connection) or a
// network error. A 5xx reply is a real failure.
func retryable(err error) bool {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code >= 400 && te.Code < 500
	}
	return true
}

// runTraffic runs clients jlaffaye/ftp clients against addr until stop is
// closed: each uploads new files (mostly 4 to 256 KiB, one in thirty
// 6 MiB, so multipart) and downloads its earlier ones, checking every
// byte, reconnecting and retrying the operation on 421 and connection
// errors as a batch client does.
func runTraffic(addr string, tlsCfg *tls.Config, clients int, stop <-chan struct{}) *traffic {
	tr := &traffic{objects: map[string]*object{}}
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			trafficClient(tr, addr, tlsCfg, i, stop)
		}()
	}
	wg.Wait()
	return tr
}

func trafficClient(tr *traffic, addr string, tlsCfg *tls.Config, id int, stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(uint64(id), 99))
	var conn *ftp.ServerConn
	defer func() {
		if conn != nil {
			conn.Quit()
		}
	}()
	var mine []string // acked keys
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		var op func(*ftp.ServerConn) error
		var size int
		if n%3 == 2 && len(mine) > 0 {
			key := mine[rng.IntN(len(mine))]
			tr.mu.Lock()
			o := *tr.objects[key]
			tr.mu.Unlock()
			size = o.size
			op = func(c *ftp.ServerConn) error { return download(tr, c, key, o) }
		} else {
			size = 4<<10 + rng.IntN(252<<10)
			if rng.IntN(30) == 0 {
				size = 6 << 20
			}
			key := fmt.Sprintf("c%02d/f%05d.bin", id, n)
			o := &object{size: size, seed: uint64(id)<<32 | uint64(n)}
			tr.mu.Lock()
			tr.objects[key] = o
			tr.mu.Unlock()
			op = func(c *ftp.ServerConn) error {
				if err := c.Stor(key, bytes.NewReader(objectData(o.size, o.seed))); err != nil {
					return err
				}
				tr.mu.Lock()
				o.acked = true
				tr.mu.Unlock()
				mine = append(mine, key)
				return nil
			}
		}
		for attempt := 0; ; attempt++ {
			start := time.Now()
			var err error
			if conn == nil {
				conn, err = dialLogin(addr, tlsCfg, id)
			}
			if err == nil {
				err = op(conn)
			}
			if err == nil {
				tr.transfers.Add(1)
				tr.bytes.Add(int64(size))
				if size <= 64<<10 {
					tr.mu.Lock()
					tr.small = append(tr.small, time.Since(start))
					tr.mu.Unlock()
				}
				break
			}
			if conn != nil {
				conn.Quit()
				conn = nil
			}
			if errors.Is(err, errCorrupt) || !retryable(err) || attempt >= 30 {
				tr.fail("client %d: %v (after %d retries)", id, err, attempt)
				break
			}
			tr.retries.Add(1)
			time.Sleep(time.Duration(50+rng.IntN(100)) * time.Millisecond)
		}
	}
}

// objectData is the content of an object: ChaCha8 from the seed, fast
// enough to regenerate a gigabyte for the final check.
func objectData(size int, seed uint64) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	out := make([]byte, size)
	rand.NewChaCha8(key).Read(out)
	return out
}

var errCorrupt = errors.New("downloaded bytes differ from the upload")

func dialLogin(addr string, tlsCfg *tls.Config, id int) (*ftp.ServerConn, error) {
	c, err := ftp.Dial(addr, ftp.DialWithTimeout(20*time.Second), ftp.DialWithExplicitTLS(tlsCfg))
	if err != nil {
		return nil, err
	}
	if err := c.Login("alice", password); err != nil {
		c.Quit()
		return nil, err
	}
	if err := c.MakeDir(fmt.Sprintf("c%02d", id)); err != nil {
		var te *textproto.Error
		if !errors.As(err, &te) { // a reply: it exists already
			c.Quit()
			return nil, err
		}
	}
	return c, nil
}

func download(tr *traffic, c *ftp.ServerConn, key string, o object) error {
	r, err := c.Retr(key)
	if err != nil {
		return err
	}
	got, rerr := io.ReadAll(r)
	cerr := r.Close()
	if err := errors.Join(rerr, cerr); err != nil {
		return err // a cut transfer: the client retries
	}
	if !bytes.Equal(got, objectData(o.size, o.seed)) {
		tr.corrupted.Add(1)
		return fmt.Errorf("%s: %d bytes: %w", key, len(got), errCorrupt)
	}
	return nil
}

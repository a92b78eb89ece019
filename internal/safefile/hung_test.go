package safefile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// hangReads makes every read block until the returned release is called,
// and counts the reads started.
func hangReads(t *testing.T) (started *atomic.Int32, release func()) {
	gate := make(chan struct{})
	started = new(atomic.Int32)
	testHookRead = func(string) {
		started.Add(1)
		<-gate
	}
	var once atomic.Bool
	release = func() {
		if once.CompareAndSwap(false, true) {
			close(gate)
		}
	}
	t.Cleanup(func() { testHookRead = nil })
	return started, release
}

// helloFile writes a file holding "hello" and returns its path.
func helloFile(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadReturnsWhenContextEndsDuringAHungRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := helloFile(t)
		started, release := hangReads(t)
		defer release()

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := Read(ctx, p, 16); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Read of a hung file = %v, want the context's error", err)
		}

		// While the abandoned read hangs, later reads of the file fail at
		// once without starting another.
		for range 100 {
			if _, err := Read(context.Background(), p, 16); !errors.Is(err, ErrHung) {
				t.Fatalf("Read during a hung read = %v, want ErrHung", err)
			}
		}
		if n := started.Load(); n != 1 {
			t.Errorf("%d reads started, want 1", n)
		}

		// Once the hung read returns, the file is read again.
		release()
		synctest.Wait()
		if b, err := Read(context.Background(), p, 16); err != nil || string(b) != "hello" {
			t.Errorf("Read after the hung read returned = %q, %v", b, err)
		}
	})
}

func TestConcurrentReadsShareOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := helloFile(t)
		started, release := hangReads(t)
		const n = 20
		done := make(chan []byte, n)
		for range n {
			go func() {
				b, err := Read(context.Background(), p, 16)
				if err != nil {
					t.Error(err)
				}
				done <- b
			}()
		}
		synctest.Wait()
		if got := started.Load(); got != 1 {
			t.Errorf("%d concurrent reads of one file started %d reads, want 1", n, got)
		}
		release()
		for range n {
			b := <-done
			if string(b) != "hello" {
				t.Errorf("Read = %q", b)
			}
			b[0] = 'X' // each caller owns its bytes
		}
	})
}

func TestReadWithADoneContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Read(ctx, "/nonexistent", 16); !errors.Is(err, context.Canceled) {
		t.Errorf("Read with a done context = %v", err)
	}
}

// TestAttackSymlinkedHungFile: 50 symbolic links to one file whose reads
// hang do not hold 50 goroutines: once maxHung reads given up on hang,
// reads of new paths fail at once with ErrHung; once they return, reads
// work again.
func TestAttackSymlinkedHungFile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := helloFile(t)
		started, release := hangReads(t)
		defer release()
		const links = 50
		for i := range links {
			l := filepath.Join(t.TempDir(), "link")
			if err := os.Symlink(p, l); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, err := Read(ctx, l, 16)
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrHung) {
				t.Fatalf("link %d: %v, want the deadline or ErrHung", i, err)
			}
		}
		if n := started.Load(); n > maxHung {
			t.Errorf("%d links to one hung file started %d reads, want at most %d", links, n, maxHung)
		}
		release()
		synctest.Wait()
		if b, err := Read(context.Background(), p, 16); err != nil || string(b) != "hello" {
			t.Errorf("Read after the hung reads returned = %q, %v", b, err)
		}
	})
}

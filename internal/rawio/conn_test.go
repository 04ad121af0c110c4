package rawio

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// pair returns both ends of a loopback TCP connection, the dialled one
// wrapped, the accepted one as net gives it.
func pair(t *testing.T) (wrapped, plain net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	wrapped, plain = Wrap(c), <-accepted
	if plain == nil {
		t.Fatal("accept failed")
	}
	if _, ok := wrapped.(*Conn); !ok {
		t.Fatalf("Wrap of a TCP connection gave %T", wrapped)
	}
	t.Cleanup(func() { wrapped.Close(); plain.Close() })
	return wrapped, plain
}

func TestReadAndWriteBothWays(t *testing.T) {
	c, peer := pair(t)
	if n, err := c.Write([]byte("ping")); n != 4 || err != nil {
		t.Fatalf("Write: %d, %v", n, err)
	}
	buf := make([]byte, 8)
	if n, err := io.ReadFull(peer, buf[:4]); n != 4 || err != nil || string(buf[:4]) != "ping" {
		t.Fatalf("peer read %q, %v", buf[:n], err)
	}
	// A read waits on the netpoller until the bytes arrive.
	go func() {
		time.Sleep(20 * time.Millisecond)
		peer.Write([]byte("pong"))
	}()
	if n, err := c.Read(buf); err != nil || string(buf[:n]) != "pong" {
		t.Fatalf("Read: %q, %v", buf[:n], err)
	}
	peer.Close()
	if n, err := c.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("Read after the peer closed: %d, %v; want 0, EOF", n, err)
	}
}

// TestWriteWaitsForRoom writes far more than the socket buffers hold, so
// that the raw write meets EAGAIN and must wait for the reader.
func TestWriteWaitsForRoom(t *testing.T) {
	c, peer := pair(t)
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(peer)
		got <- b
	}()
	if n, err := c.Write(data); n != len(data) || err != nil {
		t.Fatalf("Write: %d of %d, %v", n, len(data), err)
	}
	c.Close()
	if b := <-got; !bytes.Equal(b, data) {
		t.Fatalf("peer read %d bytes, not the %d written", len(b), len(data))
	}
}

func TestDeadlinesFailLikeNetConns(t *testing.T) {
	c, _ := pair(t)
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past the deadline: %v; want a timeout net.Error", err)
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "read" {
		t.Fatalf("Read error %T %v, want a *net.OpError of read", err, err)
	}
	c.SetReadDeadline(time.Time{})
	// A deadline moved into the past ends a read that waits.
	go func() {
		time.Sleep(20 * time.Millisecond)
		c.SetReadDeadline(time.Unix(1, 0))
	}()
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read cut by a past deadline: %v", err)
	}
}

func TestWriteToAResetConnectionFails(t *testing.T) {
	c, peer := pair(t)
	peer.(*net.TCPConn).SetLinger(0) // close with a reset
	peer.Close()
	time.Sleep(20 * time.Millisecond)
	var err error
	for range 10 {
		if _, err = c.Write([]byte("x")); err != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "write" {
		t.Fatalf("Write to a reset connection: %v; want a *net.OpError of write", err)
	}
}

func TestClosedConnFails(t *testing.T) {
	c, _ := pair(t)
	c.Close()
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Read after Close: %v, want net.ErrClosed", err)
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Write after Close: %v, want net.ErrClosed", err)
	}
}

func TestWrapLeavesOtherConnsAlone(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if Wrap(a) != a {
		t.Error("Wrap changed a connection that is not TCP")
	}
}

func TestStillOpen(t *testing.T) {
	c, peer := pair(t)
	if !StillOpen(c) {
		t.Fatal("an open, quiet connection is not StillOpen")
	}
	peer.Write([]byte("stray"))
	time.Sleep(20 * time.Millisecond)
	if StillOpen(c) {
		t.Error("a connection with unasked bytes to read is StillOpen")
	}
	if n, _ := c.Read(make([]byte, 5)); n != 5 {
		t.Error("the peek consumed bytes")
	}
	peer.Close()
	time.Sleep(20 * time.Millisecond)
	if StillOpen(c) {
		t.Error("a connection the peer closed is StillOpen")
	}
}

func TestListenerWrapsAcceptedConns(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	wl := Listener(l)
	defer wl.Close()
	go func() {
		if c, err := net.Dial("tcp", l.Addr().String()); err == nil {
			defer c.Close()
			time.Sleep(100 * time.Millisecond)
		}
	}()
	c, err := wl.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.(*Conn); !ok {
		t.Fatalf("accepted %T, want *Conn", c)
	}
}

// TestReadWriteAndPeekAllocateNothing: a Conn's calls run on every
// request and answer of the gateway and the hop transport.
func TestReadWriteAndPeekAllocateNothing(t *testing.T) {
	c, peer := pair(t)
	one, buf := []byte("x"), make([]byte, 1)
	for name, f := range map[string]func(){
		"Write":     func() { c.Write(one) },
		"Read":      func() { peer.Write(one); c.Read(buf) },
		"StillOpen": func() { StillOpen(c) },
	} {
		if allocs := testing.AllocsPerRun(100, f); allocs != 0 {
			t.Errorf("%s made %v allocations per call, want 0", name, allocs)
		}
	}
}

// TestReadsAndWritesAtOnce: each direction keeps its own call state, so
// that a Read and a Write, and two Reads, may run at the same time.
func TestReadsAndWritesAtOnce(t *testing.T) {
	c, peer := pair(t)
	go io.Copy(peer, peer) // echo
	const calls, want = 200, 400
	sent := make(chan error, 1)
	go func() {
		for range calls {
			if _, err := c.Write([]byte("ab")); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	var total atomic.Int64
	readers := make(chan struct{}, 2)
	for range 2 {
		go func() {
			defer func() { readers <- struct{}{} }()
			buf := make([]byte, 3)
			for {
				n, err := c.Read(buf)
				total.Add(int64(n))
				if err != nil {
					return
				}
			}
		}()
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(5 * time.Second); total.Load() < want && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	c.SetReadDeadline(time.Now()) // wakes the readers
	<-readers
	<-readers
	if got := total.Load(); got != want {
		t.Errorf("read %d bytes back, want %d", got, want)
	}
}

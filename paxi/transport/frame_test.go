package transport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"runtime"
	"testing"
	"time"
)

// TestFrameReaderAllocatesWhatArrivesNotWhatIsAnnounced feeds a header
// announcing 64 MiB followed by 1 MiB of body and the end of the stream: a
// reader that trusted the header would allocate 64 MiB before any body
// byte arrived, which is how 100 connections announcing 16 MiB took a
// replica to 1.6 GiB. The reader allocates about what arrived and its
// read buffer; the bound leaves room for other goroutines' allocations,
// which TotalAlloc counts too.
func TestFrameReaderAllocatesWhatArrivesNotWhatIsAnnounced(t *testing.T) {
	const announced, sent = 64 << 20, 1 << 20
	stream := binary.BigEndian.AppendUint32(nil, announced)
	stream = append(stream, make([]byte, sent)...)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fr := newFrameReader(bytes.NewReader(stream), announced)
	if _, err := fr.next(); err != io.ErrUnexpectedEOF {
		t.Fatalf("truncated frame: got %v, want io.ErrUnexpectedEOF", err)
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 4*sent {
		t.Fatalf("reading 1 MiB of a frame announcing 64 MiB allocated %d bytes; want at most %d", got, 4*sent)
	}
}

// TestFrameReaderReadsFramesOfEverySize checks bodies around the read
// buffer and the kept-scratch sizes, back to back, so that bodies read in
// place, into the reused scratch buffer and in chunks all arrive whole.
func TestFrameReaderReadsFramesOfEverySize(t *testing.T) {
	sizes := []int{0, 1, readBufferSize - frameHeader, readBufferSize, readBufferSize + 1, 3*readBufferSize + 7, keepScratch, readBufferSize + 1, keepScratch + 1, 2 * readBufferSize, 3 * keepScratch}
	var stream []byte
	for i, n := range sizes {
		body := bytes.Repeat([]byte{byte(i + 1)}, n)
		stream = append(stream, frameOf(body)...)
	}
	fr := newFrameReader(bytes.NewReader(stream), DefaultMaxFrame)
	for i, n := range sizes {
		b, err := fr.next()
		if err != nil {
			t.Fatalf("frame %d (%d bytes): %v", i, n, err)
		}
		if !bytes.Equal(b, bytes.Repeat([]byte{byte(i + 1)}, n)) {
			t.Fatalf("frame %d (%d bytes) arrived as %d bytes, or damaged", i, n, len(b))
		}
	}
	if _, err := fr.next(); err != io.EOF {
		t.Fatalf("after the last frame: got %v, want io.EOF", err)
	}
}

// TestFrameReaderTimeoutsTellIdleFromTrickling checks the two errors of a
// reader with timeouts: silence between frames is ErrIdleTimeout after the
// idle timeout, and a frame begun but not finished is ErrFrameTimeout after
// the (shorter) frame timeout, however long the idle timeout.
func TestFrameReaderTimeoutsTellIdleFromTrickling(t *testing.T) {
	server, client := net.Pipe()
	defer server.Close()
	defer client.Close()
	fr := NewFrameReader(server, DefaultMaxFrame)
	fr.SetTimeouts(server, time.Second, 30*time.Millisecond)
	go client.Write(append(frameOf([]byte("whole")), 0, 0, 0, 9, 'x')) // one frame, then 1 byte of 9
	if b, err := fr.Next(); err != nil || string(b) != "whole" {
		t.Fatalf("first frame: %q, %v", b, err)
	}
	start := time.Now()
	if _, err := fr.Next(); !errors.Is(err, ErrFrameTimeout) {
		t.Fatalf("frame begun and left unfinished: got %v, want ErrFrameTimeout", err)
	} else if d := time.Since(start); d >= time.Second {
		t.Fatalf("unfinished frame detected after %v, not by the 30ms frame timeout", d)
	}

	server2, client2 := net.Pipe()
	defer server2.Close()
	defer client2.Close()
	fr = NewFrameReader(server2, DefaultMaxFrame)
	fr.SetTimeouts(server2, 50*time.Millisecond, 10*time.Millisecond)
	start = time.Now()
	if _, err := fr.Next(); !errors.Is(err, ErrIdleTimeout) {
		t.Fatalf("silent connection: got %v, want ErrIdleTimeout", err)
	} else if d := time.Since(start); d < 50*time.Millisecond {
		t.Fatalf("silent connection timed out after %v, before the 50ms idle timeout", d)
	}
}

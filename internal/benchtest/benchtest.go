// Package benchtest holds what the load benchmarks report beside time —
// the memory a measured step takes (the heap in use, sampled, and the
// process's peak resident set) — and the sizes they read from the
// environment, so `make bench` runs them small and a SHIANBAO_BENCH_*
// variable runs them at city scale.
package benchtest

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Memory watches the heap while a measured step runs.
type Memory struct {
	stop, done chan struct{}
	heap       uint64
	rssReset   bool
}

// WatchMemory collects garbage (and hands it back to the system), so what
// came before does not count, restarts the process's peak resident set
// (Linux 4.0+) and samples the heap in use every 20 ms until Stop.
func WatchMemory() *Memory {
	runtime.GC()
	debug.FreeOSMemory()
	m := &Memory{stop: make(chan struct{}), done: make(chan struct{})}
	// Writing 5 to clear_refs sets VmHWM back to the current resident set.
	m.rssReset = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	go func() {
		defer close(m.done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			m.heap = max(m.heap, ms.HeapInuse)
			select {
			case <-m.stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return m
}

// Stop ends the watch and returns the peak heap in use and the peak
// resident set since WatchMemory, in bytes; rss is 0 where the system
// cannot tell or could not restart its peak.
func (m *Memory) Stop() (heap, rss uint64) {
	close(m.stop)
	<-m.done
	if m.rssReset {
		rss = PeakRSS()
	}
	return m.heap, rss
}

// Report stops the watch and reports its figures as the benchmark's
// peak-heap-MB and peak-RSS-MB.
func (m *Memory) Report(b *testing.B) {
	b.Helper()
	var p Peaks
	p.Add(m)
	p.Report(b)
}

// Peaks keeps the highest figures of several watches: one per iteration
// of a benchmark whose setup must not count.
type Peaks struct{ Heap, RSS uint64 }

// Add stops the watch m and keeps its figures where they are higher.
func (p *Peaks) Add(m *Memory) {
	heap, rss := m.Stop()
	p.Heap, p.RSS = max(p.Heap, heap), max(p.RSS, rss)
}

// Report reports the peaks as the benchmark's peak-heap-MB and
// peak-RSS-MB.
func (p Peaks) Report(b *testing.B) {
	b.Helper()
	b.ReportMetric(MB(p.Heap), "peak-heap-MB")
	if p.RSS > 0 {
		b.ReportMetric(MB(p.RSS), "peak-RSS-MB")
	} else {
		b.Log("no peak RSS: /proc/self/status or clear_refs is not available")
	}
}

// MB is bytes in mebibytes.
func MB[N int | int64 | uint64](bytes N) float64 { return float64(bytes) / (1 << 20) }

// PeakRSS is the process's peak resident set (VmHWM) in bytes, 0 where
// /proc/self/status does not say.
func PeakRSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// Int reads a size from the environment variable name: def when it is
// unset; a value that is not a positive whole number fails the benchmark.
func Int(tb testing.TB, name string, def int) int {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive whole number", name, v)
	}
	return n
}

//go:build !race

// The Go counterpart of poolqueue's side-by-side benchmarks (benches/harness/mod.rs): the same
// workloads, run on Go's poolDequeue and poolChain through the test hooks NewPoolDequeue and
// NewPoolChain. benches/report.sh copies this file into a temporary copy of GOROOT's src/sync
// (the hooks live in package sync's test files) and runs `go test sync -bench PQ`.
//
// Every benchmark reports "ns/item": the owner goroutine's thread CPU time per item for the
// single-threaded workloads (a, b, c, f) and for (e) (the goroutine is locked to its thread),
// wall time from the moment every goroutine runs until all are done for (d). The Rust harness
// measures the same way.

package sync_test

import (
	"runtime"
	. "sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

const pqRingCapacity = 1024

// pqSpinsBeforeYield: a thief yields after this many failed steals in a row.
const pqSpinsBeforeYield = 100

// pqVal is pushed by the workloads that do not check identities: one boxed value, so a push
// does not allocate.
var pqVal any = new(int)

// pqThreadCPU is the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID).
func pqThreadCPU() time.Duration {
	var ts syscall.Timespec
	_, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 3, uintptr(unsafe.Pointer(&ts)), 0)
	if errno != 0 {
		panic(errno)
	}
	return time.Duration(ts.Nano())
}

type pqImpl struct {
	name string
	mk   func(capacity int) PoolDequeue
}

var pqImpls = []pqImpl{
	{"go-ring", func(capacity int) PoolDequeue { return NewPoolDequeue(capacity) }},
	{"go-chain", func(int) PoolDequeue { return NewPoolChain() }},
}

type pqWorkload struct {
	id    string
	items int
	run   func(b *testing.B, mk func(int) PoolDequeue) time.Duration
}

var pqWorkloads = []pqWorkload{
	{"a_push_pop", 1, pqPushPop},
	{"b_batch64_pop_head", 64, func(b *testing.B, mk func(int) PoolDequeue) time.Duration { return pqBatch(b, mk, 64, false) }},
	{"b_batch256_pop_head", 256, func(b *testing.B, mk func(int) PoolDequeue) time.Duration { return pqBatch(b, mk, 256, false) }},
	{"c_batch64_pop_tail", 64, func(b *testing.B, mk func(int) PoolDequeue) time.Duration { return pqBatch(b, mk, 64, true) }},
	{"c_batch256_pop_tail", 256, func(b *testing.B, mk func(int) PoolDequeue) time.Duration { return pqBatch(b, mk, 256, true) }},
	{"d_push_1stealer", 1, func(b *testing.B, mk func(int) PoolDequeue) time.Duration { return pqStealers(b, mk, 1) }},
	{"d_push_3stealers", 1, func(b *testing.B, mk func(int) PoolDequeue) time.Duration { return pqStealers(b, mk, 3) }},
	{"e_pushpop_vs_thief", 1, pqVsThief},
	{"f_fresh64", 64, func(b *testing.B, mk func(int) PoolDequeue) time.Duration { return pqFresh(b, mk, 64) }},
	{"f_fresh1024", 1024, func(b *testing.B, mk func(int) PoolDequeue) time.Duration { return pqFresh(b, mk, 1024) }},
}

func BenchmarkPQ(b *testing.B) {
	for _, w := range pqWorkloads {
		w := w
		b.Run(w.id, func(b *testing.B) {
			for _, impl := range pqImpls {
				impl := impl
				b.Run(impl.name, func(b *testing.B) {
					d := w.run(b, impl.mk)
					b.ReportMetric(float64(d.Nanoseconds())/float64(b.N)/float64(w.items), "ns/item")
				})
			}
		})
	}
}

// pqWarm pushes n values and steals them back, so a chain is left with one ring of >= n slots.
func pqWarm(b *testing.B, d PoolDequeue, n int) {
	for i := 0; i < n; i++ {
		if !d.PushHead(pqVal) {
			b.Fatal("no room for the warm-up batch")
		}
	}
	for i := 0; i < n; i++ {
		if _, ok := d.PopTail(); !ok {
			b.Fatal("warm-up item missing")
		}
	}
}

// (a) push then pop by the owner.
func pqPushPop(b *testing.B, mk func(int) PoolDequeue) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	d := mk(pqRingCapacity)
	b.ResetTimer()
	start := pqThreadCPU()
	for i := 0; i < b.N; i++ {
		d.PushHead(pqVal)
		d.PopHead()
	}
	return pqThreadCPU() - start
}

// (b, c) push a batch, then pop it at the head or steal it at the tail.
func pqBatch(b *testing.B, mk func(int) PoolDequeue, batch int, tail bool) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	d := mk(batch)
	pqWarm(b, d, batch)
	b.ResetTimer()
	start := pqThreadCPU()
	for i := 0; i < b.N; i++ {
		for j := 0; j < batch; j++ {
			d.PushHead(pqVal)
		}
		if tail {
			for j := 0; j < batch; j++ {
				d.PopTail()
			}
		} else {
			for j := 0; j < batch; j++ {
				d.PopHead()
			}
		}
	}
	return pqThreadCPU() - start
}

// (d) the owner pushes b.N distinct values while `stealers` goroutines steal until the last
// one is taken; every value must be taken exactly once.
func pqStealers(b *testing.B, mk func(int) PoolDequeue, stealers int) time.Duration {
	n := b.N
	vals := make([]int64, n)
	for i := range vals {
		vals[i] = int64(i)
	}
	d := mk(pqRingCapacity)
	var stop atomic.Bool
	var ready, done WaitGroup
	startGate := make(chan struct{})
	seen := make([][]uint64, stealers)
	dups := make([]int, stealers)
	ready.Add(stealers)
	done.Add(stealers)
	for s := 0; s < stealers; s++ {
		s := s
		seen[s] = make([]uint64, (n+63)/64)
		go func() {
			defer done.Done()
			mine := seen[s]
			ready.Done()
			<-startGate
			fails := 0
			for !stop.Load() {
				v, ok := d.PopTail()
				if !ok {
					fails++
					if fails >= pqSpinsBeforeYield {
						fails = 0
						runtime.Gosched()
					}
					continue
				}
				fails = 0
				i := *(v.(*int64))
				w, bit := i/64, uint64(1)<<(uint(i)%64)
				if mine[w]&bit != 0 {
					dups[s]++
				}
				mine[w] |= bit
				if int(i) == n-1 {
					// FIFO steals: every earlier value has been claimed.
					stop.Store(true)
				}
			}
		}()
	}
	ready.Wait()
	b.ResetTimer()
	start := time.Now()
	close(startGate)
	for i := 0; i < n; i++ {
		for !d.PushHead(&vals[i]) {
			runtime.Gosched()
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for !stop.Load() && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	timedOut := !stop.Load()
	stop.Store(true)
	done.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if timedOut {
		b.Fatalf("value %d never stolen", n-1)
	}
	for s := range dups {
		if dups[s] != 0 {
			b.Fatalf("a value was stolen twice by one thief")
		}
	}
	for w := 0; w < (n+63)/64; w++ {
		var acc uint64
		for s := range seen {
			if acc&seen[s][w] != 0 {
				b.Fatalf("a value near %d was stolen twice", w*64)
			}
			acc |= seen[s][w]
		}
		want := ^uint64(0)
		if (w+1)*64 > n {
			want = uint64(1)<<(uint(n)%64) - 1
		}
		if acc != want {
			b.Fatalf("a value near %d was lost", w*64)
		}
	}
	return elapsed
}

// (e) owner push+pop pairs while one thief spins on the tail; the owner's CPU time.
func pqVsThief(b *testing.B, mk func(int) PoolDequeue) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	d := mk(pqRingCapacity)
	var stop atomic.Bool
	var stolen int64
	var ready, done WaitGroup
	ready.Add(1)
	done.Add(1)
	go func() {
		defer done.Done()
		ready.Done()
		fails := 0
		for !stop.Load() {
			if _, ok := d.PopTail(); ok {
				stolen++
			} else {
				fails++
				if fails >= pqSpinsBeforeYield {
					fails = 0
					runtime.Gosched()
				}
			}
		}
	}()
	ready.Wait()
	b.ResetTimer()
	start := pqThreadCPU()
	var pushed, popped int64
	for i := 0; i < b.N; i++ {
		if d.PushHead(pqVal) {
			pushed++
		}
		if _, ok := d.PopHead(); ok {
			popped++
		}
	}
	elapsed := pqThreadCPU() - start
	b.StopTimer()
	stop.Store(true)
	done.Wait()
	left := int64(0)
	for {
		if _, ok := d.PopHead(); !ok {
			break
		}
		left++
	}
	if popped+stolen+left != pushed {
		b.Fatalf("pushed %d, popped %d + stolen %d + left %d", pushed, popped, stolen, left)
	}
	return elapsed
}

// (f) a new structure per batch: push batch, steal batch.
func pqFresh(b *testing.B, mk func(int) PoolDequeue, batch int) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	start := pqThreadCPU()
	for i := 0; i < b.N; i++ {
		d := mk(batch)
		for j := 0; j < batch; j++ {
			d.PushHead(pqVal)
		}
		for j := 0; j < batch; j++ {
			d.PopTail()
		}
	}
	return pqThreadCPU() - start
}

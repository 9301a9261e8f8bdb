//! Coming from crossbeam-deque / st3 / Go: how their calls map to this crate's, and what behaves
//! differently. A documentation-only module (it has no items).
//!
//! # The handles
//!
//! | | crossbeam-deque 0.8 | st3 0.4 (`lifo`) | Go (`sync`, internal) | poolqueue |
//! | --- | --- | --- | --- | --- |
//! | bounded ring | — | `Worker::new(capacity)` | `poolDequeue` (size fixed by the caller) | [`dequeue::new(capacity)`](crate::dequeue::new) → `Result<(Owner, Stealer), CapacityError>` |
//! | growable | `Worker::new_lifo()` | — | `poolChain` | [`chain::new()`](crate::chain::new) → `(Owner, Stealer)` |
//! | growable, newest values private until a thief asks | (tokio's LIFO slot keeps one, never stealable) | — | `poolLocal.private` (one value) | [`worker::new()`](crate::worker::new), [`worker::with_private(k)`](crate::worker::with_private) → `(Owner, Stealer)` |
//! | owner handle | `Worker<T>`: `Send`, `!Sync` | `Worker<T>`: `Send`, `!Sync` | the P that owns the `poolLocal` | [`dequeue::Owner`](crate::dequeue::Owner), [`chain::Owner`](crate::chain::Owner): `Send`, `!Sync`, `!Clone` |
//! | thief handle | `Stealer<T>`: `Send + Sync + Clone` | `Stealer<T>`: `Send + Sync + Clone` | any P | [`dequeue::Stealer`](crate::dequeue::Stealer), [`chain::Stealer`](crate::chain::Stealer): `Send + Sync + Clone` |
//! | more thieves | `worker.stealer()` / `stealer.clone()` | `worker.stealer()` / `stealer.clone()` | — | `owner.stealer()` / `stealer.clone()` |
//!
//! Owner methods take `&self` here too, so an owner can live in a struct that its thread shares
//! by reference, as rayon and tokio keep their workers.
//!
//! # The calls
//!
//! | operation | crossbeam-deque | st3 | Go | poolqueue |
//! | --- | --- | --- | --- | --- |
//! | push (newest end) | `worker.push(x)` (never fails) | `worker.push(x) -> Result<(), T>` | `pushHead(val) bool` | dequeue: `owner.push_head(x) -> Result<(), T>` (the value comes back when full); chain: `owner.push_head(x)` (never fails) |
//! | owner pop, LIFO | `worker.pop()` on a `new_lifo` worker | `worker.pop()` | `popHead() (any, bool)` | `owner.pop_head() -> Option<T>` |
//! | owner pop, FIFO | `worker.pop()` on a `new_fifo` worker | `st3::fifo::Worker::pop()` | `popTail()` | `owner.stealer().pop_tail()`: keep a stealer beside the owner and take the oldest with it (below) |
//! | steal one | `stealer.steal() -> Steal<T>` | `stealer.steal_and_pop(&dest, \|_\| 1)` | `popTail() (any, bool)` | `stealer.pop_tail() -> Option<T>` |
//! | steal about half into my queue | `stealer.steal_batch(&worker) -> Steal<()>` | `stealer.steal(&dest, \|n\| n - n / 2)` | — | `stealer.steal_batch(&dest) -> usize` |
//! | … at most `limit` | `steal_batch_with_limit(&worker, limit)` | `stealer.steal(&dest, \|n\| n.min(limit))` | — | `stealer.steal_batch_with_limit(&dest, limit) -> usize` |
//! | … and take one now | `steal_batch_and_pop(&worker) -> Steal<T>` | `steal_and_pop(&dest, \|n\| n - n / 2) -> Result<(T, usize), StealError>` | — | `stealer.steal_batch_and_pop(&dest) -> Option<T>` |
//! | emptiness, length | `is_empty()`, `len()` | `is_empty()`, `len()` (owner), `spare_capacity()` | — | `is_empty()`, `len()` on both handles (a snapshot, see below); dequeue: `capacity()` |
//!
//! A batch steal moves the oldest half of the source (rounded up, never more than the
//! destination has room for) into `dest`, an owner of the same kind, with one compare-and-swap on
//! the source, and linearizes as that many `pop_tail`s in a row. The owner has batches too:
//! [`push_head_batch`](crate::dequeue::Owner::push_head_batch) (st3's `extend`, tokio's
//! `push_back`) and [`pop_head_batch`](crate::dequeue::Owner::pop_head_batch).
//!
//! ```
//! # poolqueue::__doc_model(|| {
//! use poolqueue::dequeue;
//!
//! let (victim, stealer) = dequeue::new::<u32>(8).unwrap();
//! let mut tasks = 0..5;
//! assert_eq!(victim.push_head_batch(&mut tasks), 5); // one publishing RMW for all five
//!
//! let (mine, _my_stealer) = dequeue::new::<u32>(8).unwrap();
//! // crossbeam: stealer.steal_batch_and_pop(&worker); st3: stealer.steal_and_pop(&dest, |n| n - n / 2)
//! assert_eq!(stealer.steal_batch_and_pop(&mine), Some(0)); // the oldest, to run now
//! assert_eq!(mine.len(), 2); // 1 and 2 came along (half of 5, rounded up, is 3)
//! assert_eq!(stealer.steal_batch_with_limit(&mine, 1), 1); // at most one more: 3
//! assert_eq!(victim.pop_head(), Some(4));
//! # });
//! ```
//!
//! # `Steal::Retry`, `StealError::Busy` and `None`
//!
//! crossbeam's `steal` can answer `Retry` ("lost a race, try again") and st3's `Busy` ("another
//! steal is in progress"), so a thief loop has three cases. Here a steal has two: `pop_tail`
//! retries its compare-and-swap itself, and only while some other operation on the same queue
//! succeeded (lock-free), so `None` always means *the queue was empty at some instant during the
//! call* (linearizable) and never "busy". A loop over crossbeam's `Steal` becomes a plain
//! `while let`:
//!
//! ```
//! # poolqueue::__doc_model(|| {
//! use poolqueue::dequeue;
//!
//! let (owner, stealer) = dequeue::new::<u32>(8).unwrap();
//! for task in 0..3 {
//!     owner.push_head(task).unwrap();
//! }
//! // crossbeam: loop { match stealer.steal() { Success(t) => .., Empty => break, Retry => continue } }
//! let mut stolen = Vec::new();
//! while let Some(task) = stealer.pop_tail() {
//!     stolen.push(task);
//! }
//! assert_eq!(stolen, [0, 1, 2]); // oldest first
//! # });
//! ```
//!
//! # A FIFO owner
//!
//! There is no separate FIFO flavour: the owner keeps a stealer of its own queue and takes the
//! oldest value with `pop_tail`, which is what crossbeam's `Worker::new_fifo().pop()` does.
//!
//! ```
//! # poolqueue::__doc_model(|| {
//! use poolqueue::dequeue;
//!
//! let (owner, own_tail) = dequeue::new::<&str>(4).unwrap();
//! owner.push_head("first").unwrap();
//! owner.push_head("second").unwrap();
//! assert_eq!(own_tail.pop_tail(), Some("first")); // FIFO
//! assert_eq!(owner.pop_head(), Some("second")); // LIFO, on the same queue
//! # });
//! ```
//!
//! # What differs
//!
//! - **The ring can report "full" below its capacity.** A stealer claims the oldest slot by
//!   moving the tail *before* it reads the value, and hands the slot back when it has read it.
//!   Until then `push_head` will not overwrite that slot: it returns `Err(value)` although
//!   `len() < capacity()`. st3 behaves alike while a steal is in flight; crossbeam's `Worker`
//!   grows instead. Treat `Err` as "no room now" and send the value elsewhere (a global
//!   injector, the chain, or run it inline), never as "the queue holds `capacity` values".
//! - **The value comes back.** A refused push returns the value (`Err(value)`) as st3 does,
//!   where Go returns `false` and the caller still holds its interface value.
//! - **`len` and `is_empty` are snapshots.** They describe some instant during the call; stealers
//!   may change the answer at once. They take no lock and never fail.
//! - **Bounded or growable is a type choice.** [`dequeue`](crate::dequeue) never allocates after
//!   `new`; [`chain`](crate::chain) grows by doubling rings (8 slots up to 2^30) and frees drained
//!   rings through an epoch, as crossbeam-deque frees its old buffers.
//! - **No `Injector`.** A shared FIFO for work from outside the pool is not part of the crate;
//!   pair the queues with any MPMC queue. [`Pool`](crate::Pool) is the `sync.Pool` counterpart,
//!   not a scheduler.
//! - **One packed word.** Head and tail are two 32-bit halves of one `AtomicU64` (as in Go), so
//!   every push is one read-modify-write on the word the stealers compare-and-swap; crossbeam and
//!   st3 keep the indices apart. The batch operations amortise that cost.
//!
//! # An owner shared by reference, with a fallback when the ring is full
//!
//! ```
//! # poolqueue::__doc_model(|| {
//! use poolqueue::{chain, dequeue};
//!
//! /// A worker as a work-stealing runtime keeps it: shared by `&` on its own thread.
//! struct Worker {
//!     local: dequeue::Owner<u64>,
//!     /// Where tasks go when the ring refuses one: a growable chain, also `&self`.
//!     spill: chain::Owner<u64>,
//! }
//!
//! impl Worker {
//!     fn push(&self, task: u64) {
//!         // Full, or the oldest slot is still being read by a thief: spill, never lose.
//!         if let Err(task) = self.local.push_head(task) {
//!             self.spill.push_head(task);
//!         }
//!     }
//!     fn pop(&self) -> Option<u64> {
//!         self.local.pop_head().or_else(|| self.spill.pop_head())
//!     }
//! }
//!
//! let (local, thief) = dequeue::new(2).unwrap();
//! let (spill, _spill_thief) = chain::new();
//! let worker = Worker { local, spill };
//! let by_ref = &worker;
//! for task in 0..3 {
//!     by_ref.push(task);
//! }
//! assert_eq!(worker.spill.len(), 1); // the ring holds 2
//! assert_eq!(thief.pop_tail(), Some(0));
//! let mut rest = Vec::new();
//! while let Some(task) = by_ref.pop() {
//!     rest.push(task);
//! }
//! assert_eq!(rest, [1, 2]); // the ring's newest first, then the spilled task
//! # });
//! ```

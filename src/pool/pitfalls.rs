//! Go's `sync.Pool` pitfalls, and what this crate does instead.
//!
//! Ten classic misuses of `sync.Pool`, and what happens to each here. Most no longer compile;
//! the rest are harmless by construction. `verification/native/pool_api.rs` holds the runtime halves.
//!
//! **1. Forgetting to reset.** There is no constructor without a reset: [`Pool::new`](crate::Pool::new) needs
//! `T: `[`Reset`](crate::Reset) (implemented for the standard collections), [`Pool::with_reset`](crate::Pool::with_reset) takes the
//! hook. It runs on every return, so a value is always reset before its next user sees it.
//!
//! ```compile_fail,E0277
//! struct Greeting(String); // no `Reset`: the pool cannot know how to clean it
//! let pool = poolqueue::Pool::new(|| Greeting(String::new()));
//! ```
//!
//! **2. Returning a slice that aliases pooled memory.** A borrow of the guard cannot outlive
//! it; copy the bytes out, or [`Pooled::detach`](crate::Pooled::detach) the buffer and keep it.
//!
//! ```compile_fail,E0515
//! fn render<'p>(pool: &'p poolqueue::Pool<Vec<u8>>, items: &[&str]) -> &'p [u8] {
//!     let mut buf = pool.get();
//!     for item in items {
//!         buf.extend_from_slice(item.as_bytes());
//!     }
//!     &buf[..] // the guard returns the buffer when it drops here
//! }
//! ```
//!
//! **3. Putting the same value twice.** [`Pool::put`](crate::Pool::put) takes the value by move, and a guard
//! returns its value once, from its `Drop`.
//!
//! ```compile_fail,E0382
//! let pool = poolqueue::Pool::new(|| Vec::<i32>::with_capacity(1024));
//! let buf = poolqueue::Pooled::detach(pool.get());
//! pool.put(buf);
//! pool.put(buf); // moved above
//! ```
//!
//! **4. Holding a reference past the return.** Returning is dropping the guard (or moving the
//! value into `put`), which the borrow checker refuses while a reference is alive. A struct
//! that keeps a pooled value holds the guard (`Pooled<'p, T>`) and returns it when it drops.
//!
//! ```compile_fail,E0505
//! let pool = poolqueue::Pool::new(|| Vec::<u8>::new());
//! let buf = pool.get();
//! let view: &Vec<u8> = &buf;
//! drop(buf); // returns the buffer while `view` still reads it
//! println!("{}", view.len());
//! ```
//!
//! **5. Pooling state that is not isolated.** The guard gives `&mut T`: one user at a time. The
//! reset hook clears per-use state (a map of a previous call) before anyone else sees it, and
//! `T: Send` keeps shared handles such as `Rc` out of the pool altogether.
//!
//! ```compile_fail,E0277
//! use std::{cell::RefCell, collections::HashMap, rc::Rc};
//! let cache = Rc::new(RefCell::new(HashMap::<String, i32>::new()));
//! let shared = cache.clone();
//! let pool = poolqueue::Pool::with_reset(move || shared.clone(), |m| m.borrow_mut().clear());
//! ```
//!
//! **6. Keeping references to pooled values in a collection.** Each borrow ends with its
//! guard; collect the guards themselves (they return when the collection drops) or detach.
//!
//! ```compile_fail,E0597
//! use std::io::Write;
//! let pool = poolqueue::Pool::new(|| Vec::<u8>::new());
//! let mut results: Vec<&Vec<u8>> = Vec::new();
//! for i in 0..10 {
//!     let mut buf = pool.get();
//!     write!(buf, "item {i}").unwrap();
//!     results.push(&buf); // `buf` returns to the pool at the end of this iteration
//! }
//! # drop(results);
//! ```
//!
//! **7. Pooling a tiny value.** Harmless: values are stored inline (no boxing, no allocation
//! per operation in steady state), and the fast path costs a few nanoseconds. It is still
//! wasted work: a value that is cheap to make is better made fresh (`benches/pool.rs`).
//!
//! **8. Using the pool as a cache.** There is no key: `get` hands out *some* idle value, always
//! reset, and [`Pool::release`](crate::Pool::release) drops idle values after one generation. Whatever was stored in
//! a value is gone before anyone can look it up; use a map or an LRU for caching.
//!
//! ```
//! # poolqueue::__doc_model(|| {
//! let pool = poolqueue::Pool::new(|| String::new());
//! pool.put("answer=42".to_string());
//! assert_eq!(*pool.get(), ""); // reset on the way in: nothing to look up
//! # });
//! ```
//!
//! **9. Putting nil.** `put` takes a `T`, not an `Option<T>` or an untyped value, and a `get`
//! never returns nothing: it creates a value when the pool is empty.
//!
//! ```compile_fail,E0308
//! let pool = poolqueue::Pool::with_reset(|| Box::new(0_i32), |b| **b = 0);
//! pool.put(None);
//! ```
//!
//! **10. Expecting thread affinity.** A pool promises no affinity: a value put on one thread may
//! be stolen by another, and after a `release` or a thread exit it may come from anywhere.
//! Per-thread state belongs in `thread_local!`. What the pool does promise is exclusivity:
//! between `get` and the guard's drop no other thread can reach the value, so a counter kept
//! in a pooled value is never incremented by two users at once.
//!
//! # When not to use a pool
//!
//! For values that are cheap to create (see 7), for values that must survive (see 8), and for
//! values shared between users. A pool only amortizes allocations of short-lived scratch
//! objects that are expensive to build or large; measure with [`Pool::with_counters`](crate::Pool::with_counters).

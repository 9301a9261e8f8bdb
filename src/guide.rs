//! Coming from crossbeam-deque, st3 or Go.

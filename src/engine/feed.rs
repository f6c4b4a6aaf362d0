//! The reader's hand-off to the queue. The channel of fresh rows is bounded, so on a fast input it
//! is full nearly all the time; a sender that blocks in the channel itself would be woken for every
//! row a lane takes, and two thread switches per row cost more than reading the row. The reader
//! instead sleeps until lanes have taken half the channel, then refills it in one go. Rows are
//! still sent one by one as they are read, so a slow input (a pipe) reaches the lanes at once.

use std::sync::atomic::{AtomicBool, Ordering, fence};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use async_channel::{Receiver, Sender, TrySendError};

use crate::rows::Row;

/// A wakeup lost to a race would cost this much, never a stalled run.
const RECHECK: Duration = Duration::from_millis(20);

/// Where the reader sleeps while the channel is full, and the lanes' way to wake it.
#[derive(Default)]
pub struct Refill {
    sleeping: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
}

impl Refill {
    /// A lane took a row from `fresh`: once half of it is free, the sleeping reader refills it.
    pub fn taken(&self, fresh: &Receiver<Row>) {
        // Pairs with the reader's fence: either it sees the room made, or this sees it sleeping.
        fence(Ordering::SeqCst);
        if self.sleeping.load(Ordering::Relaxed) && has_room(fresh.len(), fresh.capacity()) {
            self.wake_reader();
        }
    }

    /// Wakes the reader whatever the channel holds (the run was cancelled and the channel closed).
    pub fn wake_reader(&self) {
        if self.sleeping.swap(false, Ordering::AcqRel) {
            let _held = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.wake.notify_one();
        }
    }
}

fn has_room(len: usize, capacity: Option<usize>) -> bool {
    capacity.is_none_or(|capacity| len <= capacity / 2)
}

/// The reader's end of the fresh-row channel.
pub struct Feeder {
    tx: Sender<Row>,
    refill: Arc<Refill>,
}

impl Feeder {
    pub fn new(tx: Sender<Row>, refill: Arc<Refill>) -> Self {
        Feeder { tx, refill }
    }

    /// Sends `row`, sleeping while the channel is full; gives the row back once the channel is
    /// closed (the run was cancelled: the rest of the input is left for `--resume`).
    pub fn send(&self, mut row: Row) -> Result<(), Row> {
        loop {
            match self.tx.try_send(row) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Closed(back)) => return Err(back),
                Err(TrySendError::Full(back)) => {
                    row = back;
                    self.sleep_until_room();
                }
            }
        }
    }

    fn sleep_until_room(&self) {
        let refill = &self.refill;
        let mut held = refill.lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            refill.sleeping.store(true, Ordering::Relaxed);
            fence(Ordering::SeqCst);
            if self.tx.is_closed() || has_room(self.tx.len(), self.tx.capacity()) {
                break;
            }
            held = refill
                .wake
                .wait_timeout(held, RECHECK)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        refill.sleeping.store(false, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::row;
    use std::time::Instant;

    fn wait_for(what: impl Fn() -> bool) {
        let started = Instant::now();
        while !what() {
            assert!(started.elapsed() < Duration::from_secs(10), "timed out");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn a_full_channel_is_refilled_once_half_of_it_is_taken() {
        let (tx, rx) = async_channel::bounded(8);
        let refill = Arc::new(Refill::default());
        let feeder = Feeder::new(tx, refill.clone());
        let reader = std::thread::spawn(move || {
            for seq in 0..100 {
                feeder.send(row(seq)).unwrap();
            }
        });
        wait_for(|| rx.len() == 8);
        let mut seen = Vec::new();
        for _ in 0..3 {
            seen.push(rx.try_recv().unwrap().seq);
            refill.taken(&rx);
        }
        // Five left of eight: the reader sleeps on (past several of its rechecks).
        std::thread::sleep(RECHECK * 3);
        assert_eq!(rx.len(), 5, "no refill before half the channel is free");
        seen.push(rx.try_recv().unwrap().seq);
        refill.taken(&rx);
        wait_for(|| rx.len() == 8);
        while seen.len() < 100 {
            match rx.try_recv() {
                Ok(row) => {
                    seen.push(row.seq);
                    refill.taken(&rx);
                }
                Err(_) => std::thread::yield_now(),
            }
        }
        reader.join().unwrap();
        assert_eq!(
            seen,
            (0..100).collect::<Vec<_>>(),
            "every row once, in order"
        );
    }

    #[test]
    fn a_sleeping_reader_stops_when_the_channel_closes() {
        let (tx, rx) = async_channel::bounded(2);
        let refill = Arc::new(Refill::default());
        let feeder = Feeder::new(tx, refill.clone());
        let started = Instant::now();
        let reader = std::thread::spawn(move || {
            let mut sent = 0;
            for seq in 0..10 {
                if feeder.send(row(seq)).is_err() {
                    break;
                }
                sent += 1;
            }
            sent
        });
        while rx.len() < 2 {
            std::thread::yield_now();
        }
        rx.close();
        refill.wake_reader();
        assert_eq!(reader.join().unwrap(), 2, "the rows sent before the close");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_lane_wakes_the_reader_only_with_half_the_channel_free() {
        assert!(!has_room(5, Some(8)));
        assert!(has_room(4, Some(8)));
        assert!(has_room(usize::MAX, None));
    }
}

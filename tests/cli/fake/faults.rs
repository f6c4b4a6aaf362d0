//! Faults by share (`FakeServer::set_fault_mix`): a provider that fails a few percent of its
//! requests in several ways at once, as real ones do under load, without scripting each one.
//!
//! Each completion request no script claims takes the next draw of its API's sequence: a
//! splitmix64 of the API's seed plus the request's place in that API's arrival order, as a number
//! in `[0, 1)`, answered by the behavior whose cumulative share covers it, else `Ok`. The same
//! mix over the same number of requests gives the same behaviors in the same order of arrival,
//! so a bench's fault counts do not vary between runs (which row meets which fault does, as rows
//! race for lanes).

use super::{Api, Behavior};

/// One API's mix and what it has drawn.
#[derive(Debug)]
pub struct FaultMix {
    /// Behaviors with the upper end of their band of `[0, 1)`, in the order given.
    bands: Vec<(Behavior, f64)>,
    seed: u64,
    drawn: u64,
    /// Per band, how many requests it answered.
    hits: Vec<u64>,
}

impl FaultMix {
    /// Panics on a share that is negative or not finite, or on shares adding up to more than 1:
    /// a bench written that way would silently measure another mix.
    pub fn new(api: Api, shares: &[(Behavior, f64)]) -> Self {
        let mut upper = 0.0;
        let mut bands = Vec::with_capacity(shares.len());
        for (behavior, share) in shares {
            assert!(
                share.is_finite() && *share >= 0.0,
                "the share of {behavior:?} must be a number >= 0, not {share}"
            );
            upper += share;
            bands.push((behavior.clone(), upper));
        }
        assert!(
            upper <= 1.0 + 1e-9,
            "the shares of a fault mix add up to {upper}, over 1"
        );
        FaultMix {
            hits: vec![0; bands.len()],
            bands,
            seed: seed(api),
            drawn: 0,
        }
    }

    /// The behavior of the next request: one of the mix's, or `None` for `Ok`.
    pub fn draw(&mut self) -> Option<Behavior> {
        let n = self.drawn;
        self.drawn += 1;
        let x = unit(splitmix64(self.seed.wrapping_add(n)));
        let band = self.bands.iter().position(|(_, upper)| x < *upper)?;
        self.hits[band] += 1;
        Some(self.bands[band].0.clone())
    }

    /// Each behavior of the mix, in the order given, with how many requests it answered.
    pub fn hits(&self) -> Vec<(Behavior, u64)> {
        self.bands
            .iter()
            .zip(&self.hits)
            .map(|((behavior, _), hits)| (behavior.clone(), *hits))
            .collect()
    }
}

/// Apart per API, so a run over two wires does not fail the same arrivals on both.
fn seed(api: Api) -> u64 {
    match api {
        Api::OpenAi => 0x6f70_656e_6169_0001,
        Api::Anthropic => 0x616e_7468_726f_0002,
        Api::Gemini => 0x6765_6d69_6e69_0003,
    }
}

/// Sebastiano Vigna's splitmix64 output function over `x` (the state after its increment).
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The top 53 bits as a float in `[0, 1)`.
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::super::ResetHeader;
    use super::*;

    #[test]
    fn draws_match_their_shares_and_repeat() {
        let shares = [
            (Behavior::ServerError(500), 0.03),
            (Behavior::RateLimited(ResetHeader::RetryAfterMs(200)), 0.02),
            (Behavior::MalformedJson, 0.01),
        ];
        let draws = |api| {
            let mut mix = FaultMix::new(api, &shares);
            let drawn: Vec<_> = (0..100_000).map(|_| mix.draw()).collect();
            (drawn, mix.hits())
        };
        let (first, hits) = draws(Api::OpenAi);
        assert_eq!(first, draws(Api::OpenAi).0, "the same sequence every time");
        assert_ne!(first, draws(Api::Gemini).0, "another sequence per API");
        for ((behavior, n), (_, share)) in hits.iter().zip(&shares) {
            let expected = share * 100_000.0;
            assert!(
                (*n as f64 - expected).abs() < expected * 0.1,
                "{behavior:?}: {n} of 100,000 for a share of {share}"
            );
        }
        let oks = first.iter().filter(|b| b.is_none()).count() as u64;
        assert_eq!(oks + hits.iter().map(|(_, n)| n).sum::<u64>(), 100_000);
    }

    #[test]
    #[should_panic(expected = "over 1")]
    fn shares_over_one_are_refused() {
        FaultMix::new(
            Api::OpenAi,
            &[(Behavior::Hang, 0.6), (Behavior::MalformedJson, 0.5)],
        );
    }
}
